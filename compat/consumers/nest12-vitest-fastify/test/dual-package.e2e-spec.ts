// One process, both builds: this ESM app imports nestjs-cvdiag (the ESM build)
// and a CommonJS dependency of the app `require`s it (the CommonJS build). The
// dependency's decorated calls must still join the request they run in, and
// outside requests use the running app's settings: the context storage and
// the runtime registry are one per process, whichever build loads first.
import { Controller, Get, Injectable, INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createRequire } from 'node:module';
import { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as esm from 'nestjs-cvdiag';
import { newTestId } from 'nestjs-cvdiag/testing';

const cjs = createRequire(import.meta.url)('nestjs-cvdiag') as typeof esm;

/** Stands for a CommonJS package of the app's that instruments its own LLM client. */
@Injectable()
class CommonJsLlmClient {
  @cjs.LlmCall({ provider: 'legacy', model: 'cjs-model' })
  async complete(prompt: string): Promise<string> {
    await sleep(2);
    return prompt.toUpperCase();
  }
}

@Controller()
class AskController {
  constructor(private readonly client: CommonJsLlmClient) {}

  @Get('ask')
  async ask(): Promise<{ text: string }> {
    return { text: await this.client.complete('hello') };
  }
}

const rows: esm.CvdiagEnvelope[] = [];

@Module({
  imports: [esm.CvdiagModule.forRoot({ enabled: true, tier: 'debug', slug: 'dual', sinks: [{ write: (_line, row) => void rows.push(row) }] })],
  controllers: [AskController],
  providers: [CommonJsLlmClient],
})
class DualModule {}

describe('ESM and CommonJS builds in one process', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [DualModule] }).compile();
    app = moduleRef.createNestApplication(new FastifyAdapter());
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
  });

  it('really loads two builds', () => {
    expect(cjs.CvdiagModule).not.toBe(esm.CvdiagModule);
    expect(cjs.LlmCall).not.toBe(esm.LlmCall);
  });

  it("ties a CommonJS-decorated call to the ESM module's request", async () => {
    const testId = newTestId();
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const response = await fetch(`http://127.0.0.1:${port}/ask`, { headers: { 'x-test-id': testId } });
    expect(await response.json()).toEqual({ text: 'HELLO' });
    await vi.waitFor(() => expect(rows.filter((row) => row.test_id === testId).map((row) => row.boundary)).toContain('backend.response.complete'));

    const mine = rows.filter((row) => row.test_id === testId);
    const ingress = mine.find((row) => row.boundary === 'backend.request.ingress');
    const start = mine.find((row) => row.boundary === 'backend.llm.call.start');
    const end = mine.find((row) => row.boundary === 'backend.llm.call.response');
    expect(start?.metadata).toMatchObject({ provider: 'legacy', model: 'cjs-model' });
    expect(start?.trace_id).toBe(ingress?.trace_id);
    expect(start?.parent_span_id).toBe(ingress?.span_id);
    expect(end?.outcome).toBe('ok');
  });

  it("sends a CommonJS-decorated call outside any request to the running app's sinks", async () => {
    const before = rows.length;
    await expect(app.get(CommonJsLlmClient).complete('outside')).resolves.toBe('OUTSIDE');
    const detached = rows.slice(before).filter((row) => row.boundary.startsWith('backend.llm.call'));
    expect(detached.map((row) => row.boundary)).toEqual(['backend.llm.call.start', 'backend.llm.call.response']);
    expect(detached[0].slug).toBe('dual');
  });
});
