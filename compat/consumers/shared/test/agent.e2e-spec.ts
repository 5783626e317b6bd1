// The e2e test a user of nestjs-cvdiag writes for an agent server: a streamed
// answer, a client that leaves mid-stream, and a failing upstream call, each
// asserted on the CVDIAG rows of its request. Shared by every consumer app in
// compat/consumers; the app's own test/http-adapter.ts picks Express or Fastify.
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { request } from 'node:http';
import { AddressInfo } from 'node:net';
import { CVDIAG_MODULE_OPTIONS, CvdiagEnvelope, CvdiagSink } from 'nestjs-cvdiag';
import { uuidv7 } from 'uuidv7';
import { AppModule } from '../src/app.module.js';
import { LEAKED_KEY } from '../src/agent.service.js';
import { createHttpAdapter } from './http-adapter.js';

const rows: CvdiagEnvelope[] = [];
const memorySink: CvdiagSink = { write: (_line, row) => void rows.push(row) };

/** The rows of one test id, once `done` says they are all there (rows may follow the response). */
async function rowsOf(testId: string, done: (mine: CvdiagEnvelope[]) => boolean): Promise<CvdiagEnvelope[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const mine = rows.filter((row) => row.test_id === testId);
    if (done(mine)) return mine;
    if (Date.now() > deadline) throw new Error(`rows of ${testId}: ${mine.map((row) => row.boundary).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const has = (boundary: string) => (mine: CvdiagEnvelope[]) => mine.some((row) => row.boundary === boundary);

describe('nestjs-cvdiag in this app', () => {
  let app: INestApplication;
  let baseUrl: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(CVDIAG_MODULE_OPTIONS)
      .useValue({ enabled: true, tier: 'debug', slug: 'consumer-app', sinks: [memorySink] })
      .compile();
    app = moduleRef.createNestApplication(createHttpAdapter());
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app.close();
  });

  it('writes every boundary of a streamed answer, in order', async () => {
    const testId = uuidv7();
    const response = await fetch(`${baseUrl}/agent/answer`, { headers: { 'x-test-id': testId } });
    const body = await response.text();
    expect(body.match(/^data: /gm)).toHaveLength(4);

    const mine = await rowsOf(testId, (seen) => has('backend.response.complete')(seen) && has('backend.agent.exit')(seen));
    const boundaries = mine.map((row) => row.boundary);
    expect(boundaries.filter((name) => name === 'backend.sse.event')).toHaveLength(4);
    for (const name of ['backend.request.ingress', 'backend.agent.enter', 'backend.llm.call.start', 'backend.sse.first_byte']) {
      expect(boundaries.indexOf(name)).toBeLessThan(boundaries.indexOf('backend.sse.event'));
    }
    expect(boundaries).toContain('backend.llm.call.response');
    const terminal = mine.find((row) => row.boundary === 'backend.response.complete');
    expect(terminal?.metadata).toMatchObject({ http_status: 200, sse_event_count: 4 });
  });

  it('ends a stream the client left with sse.aborted (rst) and the bytes it had sent', async () => {
    const testId = uuidv7();
    await new Promise<void>((resolve, reject) => {
      const req = request(`${baseUrl}/agent/forever`, { headers: { 'x-test-id': testId } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.setTimeout(5000, () => reject(new Error('no event from /agent/forever')));
      req.end();
    });

    const mine = await rowsOf(testId, has('backend.sse.aborted'));
    const aborted = mine.find((row) => row.boundary === 'backend.sse.aborted');
    expect(aborted?.metadata.termination_kind).toBe('rst');
    expect(aborted?.metadata.bytes_before_abort).toBeGreaterThan(0);
    expect(mine.filter((row) => row.boundary === 'backend.response.complete')).toHaveLength(0);
  });

  it('writes a thrown error once, scrubbed, with a stack brief that points at the app', async () => {
    const testId = uuidv7();
    const response = await fetch(`${baseUrl}/agent/fail`, { headers: { 'x-test-id': testId } });
    expect(response.status).toBe(500);

    const mine = await rowsOf(testId, (seen) => has('backend.response.complete')(seen) && has('backend.agent.exit')(seen));
    const errors = mine.filter((row) => row.boundary === 'backend.error.caught');
    expect(errors).toHaveLength(1);
    const metadata = errors[0].metadata as { exception_type: string; message_scrubbed: string; stack_brief: Array<{ file: string }> };
    expect(metadata.exception_type).toBe('Error');
    expect(metadata.message_scrubbed).toContain('upstream rejected the request');
    expect(JSON.stringify(mine)).not.toContain(LEAKED_KEY.slice(8));
    const files = metadata.stack_brief.map((frame) => frame.file);
    expect(files[0]).toMatch(/^src\/agent\.service\.[tj]s$/);
    expect(files.filter((file) => file.startsWith('node:') || file.includes('nestjs-cvdiag'))).toEqual([]);
  });
});
