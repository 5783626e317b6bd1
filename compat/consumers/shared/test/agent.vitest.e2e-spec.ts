// test/agent.e2e-spec.ts
import { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CvdiagCapture, streamRequest } from 'nestjs-cvdiag/testing';
import 'nestjs-cvdiag/testing/vitest'; // the CVDIAG matchers, registered and typed
import { AppModule } from '../src/app.module.js';

describe('agent (e2e)', () => {
  let app: INestApplication;
  let cvdiag: CvdiagCapture;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication(new FastifyAdapter());
    cvdiag = CvdiagCapture.attach(app); // this app's rows, in memory, at debug tier
    await app.init();
  });

  afterAll(() => app.close());

  it('streams an answer through every boundary', async () => {
    const { testId, events } = await streamRequest(app, { path: '/agent/answer?q=hi' });
    expect(events).toHaveLength(3);
    const request = await cvdiag.request(testId); // waits for late rows (agent.exit)
    expect(request).toHaveBoundariesInOrder(['request.ingress', 'agent.enter', 'llm.call.start', 'sse.event', 'agent.exit']);
    expect(request).toHaveEnded('complete', { status: 200 });
  });

  it('ends with rst when the client leaves mid-stream', async () => {
    const { testId } = await streamRequest(app, { path: '/agent/ticks', disconnectAfterEvents: 2 });
    const request = await cvdiag.request(testId);
    expect(request).toHaveEnded('rst');
    expect(request.first('backend.sse.aborted')?.metadata.bytes_before_abort).toBeGreaterThan(0);
  });

  it('scrubs the key an upstream error carries', async () => {
    const { testId } = await streamRequest(app, { path: '/agent/answer?q=fail' });
    const request = await cvdiag.request(testId);
    expect(request.first('backend.error.caught')?.metadata.message_scrubbed).toContain('invalid key [REDACTED]');
    expect(request).toContainNoSecret('sk-proj-Example0123456789abcdefABCDEF');
    expect(request.first('backend.error.caught')?.metadata.stack_brief[0].file).toMatch(/^src\/llm\.client\.[tj]s$/);
  });

  it('sees an AG-UI run that failed in band, though it ends 200', async () => {
    const body = { threadId: 't1', runId: 'r1', prompt: 'fail' };
    const { testId } = await streamRequest(app, { method: 'POST', path: '/agui/run', body });
    const request = await cvdiag.request(testId);
    expect(request).toHaveBoundariesInOrder(['sse.event', 'error.caught', 'response.complete']);
    expect(request.first('backend.error.caught')?.metadata.exception_type).toBe('RUN_ERROR');
    expect(request.terminal?.metadata).toMatchObject({ route: '/agui/run', last_event_type: 'RUN_ERROR' });
  });
});
