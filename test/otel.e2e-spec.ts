import { afterEach, describe, expect, it } from '@jest/globals';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { StdoutSink, type CvdiagModuleOptions } from 'nestjs-cvdiag';
import { CvdiagOtelSink } from 'nestjs-cvdiag/otel';
import { newTestId } from 'nestjs-cvdiag/testing';
import { agentAppModule, ShowcaseAgent } from './fixtures/agent-app';
import { VerdictController, VerdictLlm } from './fixtures/verdicts';
import { useApps, useCapture } from './support/harness';
import { DEBUG_ENV, useEnv } from './support/env';
import { readThenDisconnect, send } from './support/http-client';
import { ADAPTERS, waitFor } from './support/nest-app';
import { spawnFixture } from './support/fixture-process';

/** An OpenTelemetry SDK with an in-memory exporter, and the bridge writing into it. */
function otel() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const sink = new CvdiagOtelSink({ tracer: provider.getTracer('test') });
  return { exporter, provider, sink };
}

const ms = (time: [number, number]) => time[0] * 1e3 + time[1] / 1e6;
const attr = (span: ReadableSpan, key: string) => span.attributes[key];
const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe.each(ADAPTERS)('OpenTelemetry bridge on %s', (adapter) => {
  useEnv(DEBUG_ENV);
  const capture = useCapture();
  const apps = useApps();
  const providers: BasicTracerProvider[] = [];
  afterEach(async () => {
    await Promise.all(providers.splice(0).map((provider) => provider.shutdown()));
  });

  async function start(tier: CvdiagModuleOptions['tier'] = 'debug') {
    const bridge = otel();
    providers.push(bridge.provider);
    const running = await apps.start(
      agentAppModule({ enabled: true, tier, sinks: [new StdoutSink(), bridge.sink] }, { controllers: [VerdictController], providers: [VerdictLlm] }),
      adapter,
    );
    return { ...bridge, running };
  }

  const spansOf = (exporter: InMemorySpanExporter, testId: string) => {
    const spans = exporter.getFinishedSpans();
    const root = spans.find((span) => attr(span, 'cvdiag.test_id') === testId)!;
    return { root, tree: spans.filter((span) => span.spanContext().traceId === root.spanContext().traceId) };
  };

  it('a streamed request: one tree, request → invoke_agent → chat, events and heartbeats, timings from the rows', async () => {
    const { exporter, running } = await start();
    const testId = newTestId();
    const response = await send(running.url, { method: 'POST', path: '/chat/stream', headers: { 'x-test-id': testId, 'content-type': 'application/json' }, body: '{"prompt":"hi"}' });
    expect(response.status).toBe(200);
    await waitFor(() => exporter.getFinishedSpans().length >= 3, 'the spans');
    const { root, tree } = spansOf(exporter, testId);
    expect(root.name).toBe('POST /chat/stream');
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(parentId(root)).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'cvdiag.test_id': testId, 'cvdiag.slug': 'unknown', 'http.request.method': 'POST', 'http.route': '/chat/stream', 'http.response.status_code': 200 });
    const agent = tree.find((span) => span.name === 'invoke_agent showcase')!;
    const chat = tree.find((span) => span.name === 'chat gpt-4o-mini')!;
    expect(parentId(agent)).toBe(root.spanContext().spanId);
    expect(parentId(chat)).toBe(agent.spanContext().spanId);
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' });
    expect(chat.events.filter((event) => event.name === 'cvdiag.heartbeat').length).toBeGreaterThanOrEqual(1);
    expect(tree).toHaveLength(3);

    // Timings and events match the rows of the same run.
    const rows = capture.rowsOf(testId);
    const terminal = rows.find((row) => row.boundary === 'backend.response.complete')!;
    const ingress = rows.find((row) => row.boundary === 'backend.request.ingress')!;
    expect(terminal.boundary === 'backend.response.complete' && ms(root.duration)).toBeCloseTo(Number(terminal.metadata.total_duration_ms), 3);
    expect(Math.abs(ms(root.startTime) - Date.parse(ingress.ts))).toBeLessThan(5);
    const events = root.events.filter((event) => event.name === 'cvdiag.sse.event');
    expect(events).toHaveLength(rows.filter((row) => row.boundary === 'backend.sse.event').length);
    expect(events.map((event) => event.attributes?.['cvdiag.event_type'])).toEqual(['delta', 'delta', 'done']);
    expect(root.events.map((event) => event.name)).toContain('cvdiag.first_byte');
    expect(root.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('a client that leaves mid-stream: status ERROR with the termination kind and bytes', async () => {
    const { exporter, running } = await start();
    const testId = newTestId();
    await readThenDisconnect(running.url, { path: '/verdict/endless', headers: { 'x-test-id': testId }, bytes: 100 });
    await waitFor(() => exporter.getFinishedSpans().some((span) => attr(span, 'cvdiag.test_id') === testId), 'the request span');
    const { root } = spansOf(exporter, testId);
    expect(root.status).toEqual({ code: SpanStatusCode.ERROR, message: expect.stringMatching(/^aborted: rst after \d+ bytes$/) });
    expect(root.attributes['cvdiag.termination_kind']).toBe('rst');
    expect(Number(root.attributes['cvdiag.bytes_before_abort'])).toBeGreaterThanOrEqual(100);
  });

  it('an LLM call that throws: the chat span is ERROR with error.type, the request span 500 with the exception event', async () => {
    const { exporter, running } = await start('verbose');
    const testId = newTestId();
    expect((await send(running.url, { method: 'POST', path: '/verdict/llm-error', headers: { 'x-test-id': testId } })).status).toBe(500);
    await waitFor(() => exporter.getFinishedSpans().length >= 2, 'the spans');
    const { root, tree } = spansOf(exporter, testId);
    const chat = tree.find((span) => span.name === 'chat gpt-4o-mini')!;
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['error.type']).toBe('UpstreamLlmError');
    expect(root.status).toEqual({ code: SpanStatusCode.ERROR, message: 'HTTP 500' });
    const exception = root.events.find((event) => event.name === 'exception')!;
    expect(exception.attributes).toMatchObject({ 'exception.type': 'UpstreamLlmError', 'exception.message': '429 from upstream' });
  });

  it('an in-band error (AG-UI RUN_ERROR) handled by the app: an exception event, the stream ends normally', async () => {
    const { exporter, running } = await start('default');
    const testId = newTestId();
    await send(running.url, { method: 'POST', path: '/verdict/in-band-error', headers: { 'x-test-id': testId } });
    await waitFor(() => exporter.getFinishedSpans().length >= 1, 'the request span');
    const { root, tree } = spansOf(exporter, testId);
    expect(tree).toHaveLength(1);
    expect(root.events.find((event) => event.name === 'exception')?.attributes).toMatchObject({ 'exception.type': 'RUN_ERROR', 'exception.message': 'tool call rejected' });
    expect(root.attributes).toMatchObject({ 'http.response.status_code': 200, 'cvdiag.last_event_type': 'RUN_ERROR' });
    // At default tier there is no ingress row: the start is the terminal's time minus total_duration_ms.
    expect(ms(root.duration)).toBeGreaterThanOrEqual(0);
  });

  it('work outside requests never blocks requests: held traces are made into spans when the sink is full', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    providers.push(provider);
    const sink = new CvdiagOtelSink({ tracer: provider.getTracer('test'), maxOpenRequests: 3 });
    const running = await apps.start(agentAppModule({ enabled: true, tier: 'verbose', sinks: [sink] }), adapter);
    // A job calling the agent outside any request: one trace per call, and none ever gets a terminal row.
    const agent = running.app.get(ShowcaseAgent);
    for (let i = 0; i < 5; i++) await agent.answerOnce('job');
    const testId = newTestId();
    expect((await send(running.url, { path: '/json', headers: { 'x-test-id': testId } })).status).toBe(200);
    await waitFor(() => exporter.getFinishedSpans().some((span) => attr(span, 'cvdiag.test_id') === testId), 'the request span');
    const work = exporter.getFinishedSpans().filter((span) => span.name === 'cvdiag work');
    expect(work.length).toBeGreaterThanOrEqual(2);
    expect(work.every((span) => span.status.code === SpanStatusCode.UNSET && parentId(span) === undefined)).toBe(true);
    expect(sink.stats.evictedRequests).toBeGreaterThanOrEqual(2);
    expect(sink.stats.droppedRequests).toBe(0);
  });

  it('40 concurrent requests: 40 trees, no span in another request\'s trace', async () => {
    const { exporter, running } = await start();
    const ids = Array.from({ length: 40 }, () => newTestId());
    await Promise.all(ids.map((testId) => send(running.url, { path: '/chat/sse?q=x', headers: { 'x-test-id': testId } })));
    await waitFor(() => exporter.getFinishedSpans().length >= 120, 'the spans', 10_000);
    const spans = exporter.getFinishedSpans();
    const roots = spans.filter((span) => parentId(span) === undefined);
    expect(roots.map((span) => attr(span, 'cvdiag.test_id')).sort()).toEqual([...ids].sort());
    expect(new Set(roots.map((span) => span.spanContext().traceId)).size).toBe(40);
    for (const root of roots) {
      const tree = spans.filter((span) => span.spanContext().traceId === root.spanContext().traceId);
      expect(tree.map((span) => span.name).sort()).toEqual(['GET /chat/sse', 'chat gpt-4o-mini', 'invoke_agent showcase']);
      const byId = new Map(tree.map((span) => [span.spanContext().spanId, span]));
      for (const span of tree) if (span !== root) expect(byId.has(parentId(span)!)).toBe(true);
    }
  });
});

describe('OpenTelemetry bridge: over the wire', () => {
  it('sends the spans through the OTLP/HTTP exporter to a receiver on loopback', async () => {
    const received: Array<{ path?: string; type?: string; body: unknown }> = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ path: req.url, type: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const { port } = receiver.address() as { port: number };
    try {
      const { child, output } = spawnFixture('otel-otlp-child.cjs', `http://127.0.0.1:${port}/v1/traces`);
      const [code] = (await once(child, 'exit')) as [number | null];
      expect({ code, stderr: output.stderr.trim() }).toEqual({ code: 0, stderr: '' });
      const { testId } = JSON.parse(output.stdout.trim()) as { testId: string };
      type OtlpSpan = { name: string; traceId: string; kind: number; attributes: Array<{ key: string; value: { stringValue?: string; intValue?: number | string } }> };
      const spans = received.flatMap((request) => {
        const body = request.body as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
        return body.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
      });
      expect(received[0]).toMatchObject({ path: '/v1/traces', type: 'application/json' });
      const root = spans.find((span) => span.attributes.some((a) => a.key === 'cvdiag.test_id' && a.value.stringValue === testId))!;
      expect(root.name).toBe('GET /answer');
      expect(Number(root.attributes.find((a) => a.key === 'http.response.status_code')!.value.intValue)).toBe(200);
    } finally {
      receiver.close();
    }
  }, 30_000);
});

describe.each(ADAPTERS)('OpenTelemetry bridge beside @opentelemetry/instrumentation-http on %s', (adapter) => {
  it('makes the CVDIAG request span a child of the HTTP server span', async () => {
    const { child, output } = spawnFixture('otel-http-child.cjs', adapter);
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, stderr: output.stderr.trim() }).toEqual({ code: 0, stderr: '' });
    const { testId, spans } = JSON.parse(output.stdout.trim().split('\n').pop()!) as { testId: string; spans: Array<{ name: string; kind: number; traceId: string; spanId: string; parentSpanId?: string; attributes: Record<string, unknown> }> };
    const http = spans.find((span) => span.kind === SpanKind.SERVER)!;
    const cvdiag = spans.find((span) => span.attributes['cvdiag.test_id'] === testId)!;
    expect(http.name).toMatch(/^GET/);
    expect(cvdiag.kind).toBe(SpanKind.INTERNAL);
    expect(cvdiag.traceId).toBe(http.traceId);
    expect(cvdiag.parentSpanId).toBe(http.spanId);
    const agent = spans.find((span) => span.name === 'invoke_agent showcase')!;
    expect(agent.traceId).toBe(http.traceId);
    expect(agent.parentSpanId).toBe(cvdiag.spanId);
  }, 30_000);
});

