/**
 * nestjs-cvdiag/testing, the kit users' e2e tests use: capture, settled
 * requests, typed rows, assertions and matchers, the stream client and the
 * echoTestId option, on both adapters.
 */
import { describe, expect, it } from '@jest/globals';
import { INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  assertBoundariesInOrder,
  assertEndedWith,
  assertNoSecret,
  CapturedRequest,
  CvdiagAssertionError,
  CvdiagCapture,
  cvdiagMatchers,
  newTestId,
  openStream,
  streamRequest,
  UUIDV7_PATTERN,
} from 'nestjs-cvdiag/testing';
import 'nestjs-cvdiag/testing/jest';
import { agentAppModule, SECRET_MESSAGE } from './fixtures/agent-app';
import { useCapture } from './support/harness';
import { useEnv } from './support/env';
import { ADAPTERS, AdapterName } from './support/nest-app';
import { CvdiagModuleOptions } from 'nestjs-cvdiag';
import { afterEach } from '@jest/globals';

/** Apps built the way users build them in e2e tests: created, maybe not yet initialised or listening. */
function useTestApps() {
  const open: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
  });
  return async (adapter: AdapterName, options: CvdiagModuleOptions | null = {}): Promise<INestApplication> => {
    const moduleRef = await Test.createTestingModule({ imports: [agentAppModule(options)] }).compile();
    const app = adapter === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter() as never, { logger: false }) : moduleRef.createNestApplication({ logger: false });
    open.push(app);
    return app;
  };
}

describe.each(ADAPTERS)('test kit on %s', (adapter) => {
  useEnv({ CVDIAG_BACKEND_EMITTER: undefined, NODE_ENV: 'production' });
  const stdout = useCapture();
  const createApp = useTestApps();

  it('captures an app whose emitter is off, at debug tier, attached before init; request() waits for late rows', async () => {
    const app = await createApp(adapter);
    const capture = CvdiagCapture.attach(app);
    await app.init();
    const result = await streamRequest(app, { path: '/chat/sse?q=hello' });
    expect(result.status).toBe(200);
    expect(result.events.map((event) => event.data)).toEqual(['{"token":"hello"}', '{"token":"world"}']);

    const request = await capture.request(result.testId);
    expect(request).toBeInstanceOf(CapturedRequest);
    expect(request).toHaveBoundariesInOrder([
      'request.ingress',
      'agent.enter',
      'llm.call.start',
      'sse.event',
      'sse.event',
      'response.complete',
    ]);
    expect(request).toHaveBoundariesInOrder(['sse.first_byte', 'sse.event']);
    expect(request.first('backend.agent.exit')?.metadata.terminal_outcome).toBe('ok');
    expect(request.first('backend.llm.call.response')?.metadata.model).toBe('gpt-4o-mini');
    expect(request.terminal?.boundary).toBe('backend.response.complete');
    expect(request).toHaveEnded('complete', { status: 200 });
    expect(request).toSatisfyCvdiagContract();
    // passThrough (the default): the app's own sink, stdout, got the same rows.
    expect(stdout.rowsOf(result.testId)).toHaveLength(request.rows.length);
    capture.detach();
  });

  it('attaches after init too; passThrough: false keeps rows from the app sinks; detach() restores the app', async () => {
    const app = await createApp(adapter);
    await app.init();
    const capture = CvdiagCapture.attach(app, { tier: 'default', passThrough: false });
    const first = await streamRequest(app, { path: '/json' });
    const request = await capture.request(first.testId);
    expect(request.boundaries()).toEqual(['backend.response.complete']); // default tier: the terminal only
    expect(stdout.rows()).toEqual([]);

    capture.detach();
    const second = await streamRequest(app, { path: '/json' });
    expect(second.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(capture.rows().filter((row) => row.test_id === second.testId)).toEqual([]);
    expect(stdout.rows()).toEqual([]); // the emitter is off again, as the environment says
    await expect(capture.request(second.testId)).rejects.toThrow(/detached/);
  });

  it('ends a client disconnect with rst and the bytes sent; the stream client reads events as they arrive', async () => {
    const app = await createApp(adapter);
    const capture = CvdiagCapture.attach(app);
    const stream = await openStream(app, { path: '/endless' });
    expect(stream.status).toBe(200);
    const firstEvent = await stream.nextEvent();
    expect(JSON.parse(firstEvent!.data)).toMatchObject({ i: 0 });
    for await (const event of stream) if (JSON.parse(event.data).i >= 2) break;
    stream.disconnect();
    expect(await stream.finished).toBe('disconnected');

    const request = await capture.request(stream.testId);
    expect(request).toHaveEnded('rst');
    const aborted = request.first('backend.sse.aborted');
    expect(aborted?.metadata.termination_kind).toBe('rst');
    expect(aborted?.metadata.bytes_before_abort).toBeGreaterThan(0);
    capture.detach();
  });

  it('disconnects after N events or M ms, and posts JSON bodies to a raw @Res() stream', async () => {
    const app = await createApp(adapter);
    const capture = CvdiagCapture.attach(app);
    const afterTwo = await streamRequest(app, { path: '/endless', disconnectAfterEvents: 2 });
    expect(afterTwo.ended).toBe('disconnected');
    expect(afterTwo.events.length).toBeGreaterThanOrEqual(2);
    const afterMs = await streamRequest(app, { path: '/endless', disconnectAfterMs: 40 });
    expect(afterMs.ended).toBe('disconnected');
    const posted = await streamRequest(app, { method: 'POST', path: '/chat/stream', body: { prompt: 'hi' } });
    expect(posted.events.map((event) => event.event)).toEqual(['delta', 'delta', 'done']);

    for (const testId of [afterTwo.testId, afterMs.testId]) expect(await capture.request(testId)).toHaveEnded('rst');
    const post = await capture.request(posted.testId);
    expect(post.first('backend.request.ingress')?.metadata).toMatchObject({ method: 'POST', path: '/chat/stream' });
    expect(post).toHaveEnded('complete', { status: 200 });
    capture.detach();
  });

  it('keeps the captures of two apps in one process apart', async () => {
    const one = await createApp(adapter, { slug: 'app-one' });
    const two = await createApp(adapter, { slug: 'app-two' });
    const captureOne = CvdiagCapture.attach(one);
    const captureTwo = CvdiagCapture.attach(two);
    const [a, b] = await Promise.all([streamRequest(one, { path: '/json' }), streamRequest(two, { path: '/json' })]);
    await Promise.all([captureOne.request(a.testId), captureTwo.request(b.testId)]);
    expect(new Set(captureOne.rows().map((row) => row.slug))).toEqual(new Set(['app-one']));
    expect(new Set(captureTwo.rows().map((row) => row.slug))).toEqual(new Set(['app-two']));
    expect(captureOne.rows().some((row) => row.test_id === b.testId)).toBe(false);
    captureOne.detach();
    captureTwo.detach();
  });

  it('rejects request() after its timeout with the timeline of what was seen', async () => {
    const app = await createApp(adapter);
    const capture = CvdiagCapture.attach(app);
    const stream = await openStream(app, { path: '/endless' });
    await stream.nextEvent();
    const error = await capture.request(stream.testId, { timeoutMs: 150 }).catch((caught: Error) => caught);
    stream.disconnect();
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(`CvdiagCapture.request(${stream.testId}): not settled after 150 ms`);
    expect((error as Error).message).toMatch(/request\.ingress\s+GET \/endless/);
    expect((error as Error).message).toMatch(/sse\.first_byte/);

    const unknown = newTestId();
    await expect(capture.request(unknown, { timeoutMs: 50 })).rejects.toThrow(`CvdiagCapture.request(${unknown}): no rows for this test id after 50 ms`);
    await capture.request(stream.testId);
    capture.detach();
  });

  it('fails assertions with a readable message and the timeline, not a JSON dump', async () => {
    const app = await createApp(adapter);
    const capture = CvdiagCapture.attach(app);
    const ok = await streamRequest(app, { path: '/json' });
    const boom = await streamRequest(app, { method: 'POST', path: '/boom' });
    const request = await capture.request(ok.testId);
    const failed = await capture.request(boom.testId);

    expect(() => assertEndedWith(request, 'rst')).toThrow(CvdiagAssertionError);
    expect(() => assertEndedWith(request, 'rst')).toThrow(/expected the request to end with rst, but it ended with complete 200\nrequest .* · GET \/json\n\s+0\.0 ms {2}request\.ingress/);
    expect(() => assertBoundariesInOrder(request, ['response.complete', 'request.ingress'])).toThrow(
      /request\.ingress \(#2\) was written, but not after response\.complete/,
    );
    expect(() => assertBoundariesInOrder(request, ['sse.event'])).toThrow(/sse\.event \(#1\) was not written/);
    // The matchers say the same through expect().
    expect(() => expect(request).toHaveEnded('timeout')).toThrow(/but it ended with complete 200/);
    expect(() => expect(request).not.toHaveEnded('complete')).toThrow(/expected the request not to end with complete, but it does/);
    const matcherResult = cvdiagMatchers.toHaveEnded(failed, 'complete', { status: 200 });
    expect(matcherResult.pass).toBe(false);
    expect(matcherResult.message()).toMatch(/but it ended with complete 500\n[^]*error\.caught err\s+RuntimeError: upstream rejected key \[REDACTED\]/);
    expect(failed).toContainNoSecret('sk-test-12345');
    expect(() => assertNoSecret(failed, 'upstream rejected key')).toThrow(/a error\.caught row contains it/);
    expect(() => expect(failed).toContainNoSecret(SECRET_MESSAGE.slice(0, 21))).toThrow(/contains/);
    capture.detach();
  });

  it('refuses to attach where it cannot capture: no CvdiagModule, enabled: false, a second capture', async () => {
    const without = await createApp(adapter, null);
    expect(() => CvdiagCapture.attach(without)).toThrow(/this app has no CvdiagModule/);
    const off = await createApp(adapter, { enabled: false });
    expect(() => CvdiagCapture.attach(off)).toThrow(/enabled: false/);
    const app = await createApp(adapter);
    const capture = CvdiagCapture.attach(app);
    expect(() => CvdiagCapture.attach(app)).toThrow(/already attached/);
    capture.detach();
  });

  it('echoTestId: the test id as a response header, minted when none was sent; no header by default', async () => {
    const echoing = await createApp(adapter, { echoTestId: true, enabled: true, tier: 'default', sinks: [] });
    const plain = await createApp(adapter, { enabled: true, tier: 'default', sinks: [] });
    for (const app of [echoing, plain]) await app.listen(0, '127.0.0.1');
    const urlOf = (app: INestApplication) => `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const minted = await fetch(`${urlOf(echoing)}/json`);
    expect(minted.headers.get('x-test-id')).toMatch(UUIDV7_PATTERN);
    const sent = newTestId();
    const adopted = await fetch(`${urlOf(echoing)}/json`, { headers: { 'x-test-id': sent } });
    expect(adopted.headers.get('x-test-id')).toBe(sent);
    const streamed = await streamRequest(urlOf(echoing), { path: '/chat/sse' });
    expect(streamed.headers['x-test-id']).toBe(streamed.testId);
    const untouched = await fetch(`${urlOf(plain)}/json`, { headers: { 'x-test-id': sent } });
    expect(untouched.headers.get('x-test-id')).toBeNull();
  });
});
