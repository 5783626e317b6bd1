/**
 * Streams as agent protocols write them (AG-UI and OpenAI-style SSE over raw
 * POST, NDJSON): one sse.event per event however the writes fall, typed by the
 * protocol; in-band errors as error.caught; terminal rows that say which
 * request ended and on which event; scrubbed edge headers. Through the test kit.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { INestApplication, Module } from '@nestjs/common';
import { CvdiagModule, type CvdiagTier } from 'nestjs-cvdiag';
import { CvdiagCapture, streamRequest } from 'nestjs-cvdiag/testing';
import 'nestjs-cvdiag/testing/jest';
import { PROTOCOL_SECRET, ProtocolsController } from './fixtures/protocols';
import { useEnv } from './support/env';
import { ADAPTERS, RunningApp, startApp } from './support/nest-app';

@Module({ imports: [CvdiagModule.forRoot({ slug: 'protocols' })], controllers: [ProtocolsController] })
class ProtocolsModule {}

describe.each(ADAPTERS)('stream protocols on %s', (adapter) => {
  useEnv({});
  let running: RunningApp | undefined;
  let capture: CvdiagCapture | undefined;
  afterEach(async () => {
    capture?.detach();
    await running?.close();
  });

  async function start(setup?: (app: INestApplication) => void, tier: CvdiagTier = 'debug'): Promise<{ url: string; capture: CvdiagCapture }> {
    running = await startApp(ProtocolsModule, adapter, (app) => {
      setup?.(app);
      capture = CvdiagCapture.attach(app, { tier });
    });
    return { url: running.url, capture: capture! };
  }

  it('AG-UI over raw POST SSE: one event per event, merged and split writes, comments skipped', async () => {
    const { url, capture } = await start();
    const client = await streamRequest(url, { method: 'POST', path: '/agui/run', body: { threadId: 't1' } });
    expect(client.events.map((event) => JSON.parse(event.data).type)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ]);
    const request = await capture.request(client.testId);
    expect(request).toSatisfyCvdiagContract();
    const events = request.all('backend.sse.event');
    expect(events.map((row) => row.metadata.event_type)).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    expect(events.map((row) => row.metadata.sequence_num)).toEqual([0, 1, 2, 3, 4]);
    const contentBytes = Buffer.byteLength(`data: ${JSON.stringify({ type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta: 'Hello there' })}\n\n`);
    expect(events[2].metadata.payload_size_bytes).toBe(contentBytes);
    expect(request.terminal?.metadata).toMatchObject({ sse_event_count: 5, method: 'POST', route: '/agui/run', last_event_type: 'RUN_FINISHED' });
  });

  it('AG-UI RUN_ERROR handled in band: error.caught with the scrubbed message, then a normal complete', async () => {
    const { url, capture } = await start();
    const client = await streamRequest(url, { method: 'POST', path: '/agui/fail' });
    const request = await capture.request(client.testId);
    expect(request).toSatisfyCvdiagContract();
    expect(request).toContainNoSecret(PROTOCOL_SECRET);
    expect(request).toHaveBoundariesInOrder(['sse.event', 'sse.event', 'error.caught', 'response.complete']);
    expect(request.first('backend.error.caught')?.metadata).toMatchObject({
      exception_type: 'RUN_ERROR',
      message_scrubbed: 'tool call rejected: token [REDACTED] is revoked',
      stack_brief: [],
    });
    expect(request).toHaveEnded('complete', { status: 200 });
    expect(request.terminal?.metadata.last_event_type).toBe('RUN_ERROR');
  });

  it('an SSE event: error the app writes: error.caught once, the response still completes', async () => {
    const { url, capture } = await start();
    const client = await streamRequest(url, { path: '/sse/error-event' });
    const request = await capture.request(client.testId);
    expect(request).toContainNoSecret(PROTOCOL_SECRET);
    const errors = request.all('backend.error.caught');
    expect(errors.map((row) => [row.metadata.exception_type, row.metadata.message_scrubbed])).toEqual([['error', 'upstream 401 for [REDACTED]']]);
    expect(request).toHaveEnded('complete');
    expect(request.terminal?.metadata.last_event_type).toBe('error');
  });

  it('an OpenAI-style passthrough: chat.completion.chunk events, then done', async () => {
    const { url, capture } = await start();
    const client = await streamRequest(url, { path: '/openai/stream' });
    const request = await capture.request(client.testId);
    expect(request.all('backend.sse.event').map((row) => row.metadata.event_type)).toEqual(['chat.completion.chunk', 'chat.completion.chunk', 'done']);
    expect(request.terminal?.metadata).toMatchObject({ last_event_type: 'done', route: '/openai/stream', method: 'GET' });
  });

  it('NDJSON: one event per line, typed by its JSON type', async () => {
    const { url, capture } = await start();
    const client = await streamRequest(url, { path: '/ndjson' });
    const request = await capture.request(client.testId);
    expect(request).toSatisfyCvdiagContract();
    expect(request.all('backend.sse.event').map((row) => row.metadata.event_type)).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_CONTENT', 'RUN_FINISHED']);
    expect(request.first('backend.response.complete')?.metadata.sse_event_count).toBe(3);
  });

  it('route: the template with the global prefix; null for a 404; edge headers scrubbed', async () => {
    const { url, capture } = await start((app) => app.setGlobalPrefix('api'));
    const item = await streamRequest(url, { path: '/api/items/42', headers: { via: '1.1 https://user:ViaSecret0123@corp-proxy' } });
    expect(item.status).toBe(200);
    const request = await capture.request(item.testId);
    expect(request.terminal?.metadata).toMatchObject({ route: '/api/items/:id', method: 'GET', last_event_type: null });
    expect(request).toContainNoSecret('ViaSecret0123');
    expect(request).toContainNoSecret('EdgePass0123');
    expect(request.first('backend.request.ingress')?.edge_headers.via).toBe('1.1 https://[REDACTED]@corp-proxy');
    expect(request.terminal?.edge_headers.via).toBe('1.1 https://[REDACTED]@proxy.example');

    const missing = await streamRequest(url, { path: '/api/nope' });
    expect(missing.status).toBe(404);
    expect((await capture.request(missing.testId)).terminal?.metadata).toMatchObject({ route: null, method: 'GET' });
  });

  it('at default tier (no row per event, only the last event typed): the same counts, last types and in-band errors', async () => {
    const { url, capture } = await start(undefined, 'default');
    const cases = [
      { path: '/agui/run', method: 'POST', count: 5, last: 'RUN_FINISHED', errors: [] },
      { path: '/agui/fail', method: 'POST', count: 2, last: 'RUN_ERROR', errors: [['RUN_ERROR', 'tool call rejected: token [REDACTED] is revoked']] },
      { path: '/sse/error-event', method: 'GET', count: 2, last: 'error', errors: [['error', 'upstream 401 for [REDACTED]']] },
      { path: '/openai/stream', method: 'GET', count: 3, last: 'done', errors: [] },
      { path: '/ndjson', method: 'GET', count: 3, last: 'RUN_FINISHED', errors: [] },
    ] as const;
    for (const { path, method, count, last, errors } of cases) {
      const client = await streamRequest(url, { method, path });
      const request = await capture.request(client.testId);
      expect(request).toSatisfyCvdiagContract({ tier: 'default' });
      expect(request).toContainNoSecret(PROTOCOL_SECRET);
      expect(request.all('backend.sse.event')).toEqual([]);
      expect(request.all('backend.error.caught').map((row) => [row.metadata.exception_type, row.metadata.message_scrubbed])).toEqual(errors);
      expect(request).toHaveEnded('complete', { status: 200 });
      expect({ path, ...request.terminal?.metadata }).toMatchObject({ path, sse_event_count: count, last_event_type: last });
    }
  });

  it('an event that never ends is counted once, cut at 1 MiB, and the client can still leave', async () => {
    const { url, capture } = await start();
    const client = await streamRequest(url, { path: '/sse/never-ending', disconnectAfterMs: 300 });
    const request = await capture.request(client.testId);
    const events = request.all('backend.sse.event');
    expect(events).toHaveLength(1);
    expect(events[0].metadata.payload_size_bytes).toBeGreaterThanOrEqual(1024 * 1024);
    expect(request).toHaveEnded('rst');
  });
});
