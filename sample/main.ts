/**
 * `npm run sample`: starts the sample agent server with CVDIAG on at debug tier,
 * drives it with a scripted client, prints every CVDIAG line as it is written,
 * then a summary per request, and exits 0 when all 11 boundaries were seen.
 *
 * With OPENAI_BASE_URL and OPENAI_API_KEY set, the agent talks to that
 * provider (OPENAI_MODEL, default gpt-4o-mini); otherwise to a fake
 * OpenAI-compatible server started on loopback.
 */
import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BACKEND_BOUNDARIES, StdoutSink } from 'nestjs-cvdiag';
import { CapturedRequest, CvdiagCapture, lineOf, streamRequest, StreamResult } from 'nestjs-cvdiag/testing';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CvdiagOtelSink } from 'nestjs-cvdiag/otel';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { startFakeOpenAi } from './fake-openai/fake-openai.server';

const HEARTBEAT_MS = 250;

/** One request of the scripted client, sent the way a browser chat UI would. */
interface Scenario {
  name: string;
  describe: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Disconnect after this many SSE events. */
  disconnectAfterEvents?: number;
}

interface ScenarioResult {
  scenario: Scenario;
  client: StreamResult;
  server: CapturedRequest;
}

const SCENARIOS: Scenario[] = [
  { name: 'post-sse', describe: 'normal answer, POST SSE written with @Res()', method: 'POST', path: '/agent/chat', body: { prompt: 'Say hello' } },
  { name: 'get-sse', describe: 'normal answer, GET @Sse()', method: 'GET', path: '/agent/sse?prompt=Say%20hello' },
  { name: 'slow-llm', describe: 'slow LLM: heartbeats while waiting for the first token', method: 'GET', path: '/agent/sse?prompt=slow%20answer' },
  { name: 'disconnect', describe: 'client disconnects mid-stream', method: 'GET', path: '/agent/sse?prompt=long%20story', disconnectAfterEvents: 4 },
  { name: 'upstream-error', describe: 'upstream LLM error whose message holds a key', method: 'GET', path: '/agent/sse?prompt=error%20please' },
];

/**
 * Shows CvdiagModule's own warnings only. Nest logs stream errors itself, with
 * the raw message (here, the fake key): that is Nest's log, not a CVDIAG row.
 */
class CvdiagWarningsLogger extends ConsoleLogger {
  override log(): void {}
  override error(): void {}
  override warn(message: unknown, context?: string): void {
    if (context === 'CvdiagModule') super.warn(message, context);
  }
}

async function main(): Promise<void> {
  process.env.CVDIAG_BACKEND_EMITTER ??= '1';
  process.env.CVDIAG_DEBUG ??= '1';
  process.env.SHOWCASE_ENV ??= 'development';

  const realProvider = process.env.OPENAI_BASE_URL && process.env.OPENAI_API_KEY;
  const fake = realProvider ? undefined : await startFakeOpenAi({ slowFirstTokenMs: HEARTBEAT_MS * 3 });
  const llm = {
    baseUrl: (process.env.OPENAI_BASE_URL ?? fake!.baseUrl).replace(/\/$/, ''),
    apiKey: process.env.OPENAI_API_KEY ?? 'sk-fake-sample-key',
    model: process.env.OPENAI_MODEL ?? 'gpt-4o-mini',
  };
  console.log(`LLM endpoint: ${realProvider ? llm.baseUrl : `${llm.baseUrl} (embedded fake)`}, model ${llm.model}\n`);

  // The rows also go to OpenTelemetry, here an SDK with an in-memory exporter (nestjs-cvdiag/otel).
  const spans = new InMemorySpanExporter();
  const tracing = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const otelSink = new CvdiagOtelSink({ tracer: tracing.getTracer('sample') });
  const app = await NestFactory.create(AppModule.register(llm, [new StdoutSink(), otelSink], HEARTBEAT_MS), {
    logger: new CvdiagWarningsLogger(),
  });
  // The test kit's capture keeps the rows in memory for the summary; they still go to stdout.
  const capture = CvdiagCapture.attach(app);
  await app.listen(0, '127.0.0.1');

  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    console.log(`\n── ${scenario.name}: ${scenario.describe}`);
    const client = await streamRequest(app, {
      method: scenario.method,
      path: scenario.path,
      body: scenario.body,
      headers: { accept: 'text/event-stream', 'x-aimock-context': `sample-agent/${scenario.name}` },
      disconnectAfterEvents: scenario.disconnectAfterEvents,
    });
    results.push({ scenario, client, server: await capture.request(client.testId) });
  }

  await app.close();
  await fake?.close();
  printSummary(results);
  if (!printSpanTrees(results, spans.getFinishedSpans())) process.exitCode = 1;
  await tracing.shutdown();

  const seen = new Set(capture.rows().map((row) => row.boundary));
  const missing = BACKEND_BOUNDARIES.filter((boundary) => !seen.has(boundary));
  if (missing.length > 0) {
    console.error(`\nMissing boundaries: ${missing.join(', ')}`);
    process.exitCode = 1;
    return;
  }
  console.log(`\nAll ${BACKEND_BOUNDARIES.length} backend boundaries were written.`);
  readTheRows(capture);
}

/**
 * The rows as a log file, read back by the `cvdiag` command of this package:
 * one line per request with its verdict, and the HTML report.
 */
function readTheRows(capture: CvdiagCapture): void {
  writeFileSync('sample-output.log', capture.rows().map((row) => `${lineOf(row)}\n`).join(''));
  const cli = join(process.cwd(), 'dist', 'cjs', 'cli', 'main.js');
  for (const args of [['ls', 'sample-output.log'], ['report', 'sample-output.log', '-o', 'sample-report.html']]) {
    console.log(`\n$ npx cvdiag ${args.join(' ')}`);
    process.stdout.write(execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  }
}

/**
 * The OpenTelemetry spans of each request as a tree, checked against its rows:
 * one root per request, its duration the terminal row's, ERROR exactly when the
 * request was aborted or failed with a 5xx.
 */
function printSpanTrees(results: ScenarioResult[], finished: ReadableSpan[]): boolean {
  console.log('\n── OpenTelemetry spans (nestjs-cvdiag/otel, in-memory exporter)');
  let ok = true;
  for (const { scenario, server } of results) {
    const root = finished.find((span) => span.attributes['cvdiag.test_id'] === server.testId);
    const terminal = server.terminal;
    if (!root || !terminal) {
      console.log(`${scenario.name}: no span tree`);
      ok = false;
      continue;
    }
    const tree = finished.filter((span) => span.spanContext().traceId === root.spanContext().traceId);
    const print = (span: ReadableSpan, depth: number): void => {
      const status = span.status.code === SpanStatusCode.ERROR ? `ERROR ${span.status.message ?? ''}`.trim() : 'ok';
      const events = span.events.length > 0 ? `, ${span.events.length} events` : '';
      console.log(`${'  '.repeat(depth)}${depth === 0 ? scenario.name.padEnd(16) : ''}${span.name}  ${durationMs(span).toFixed(1)} ms  ${status}${events}`);
      for (const child of tree.filter((other) => other.parentSpanContext?.spanId === span.spanContext().spanId)) print(child, depth + 1);
    };
    print(root, 0);
    const rowsMs = terminal.boundary === 'backend.response.complete' ? terminal.metadata.total_duration_ms : terminal.duration_ms ?? 0;
    const failed = terminal.boundary === 'backend.sse.aborted' || terminal.metadata.http_status >= 500;
    const matches = Math.abs(durationMs(root) - rowsMs) <= 1 && (root.status.code === SpanStatusCode.ERROR) === failed && tree.filter((span) => !span.parentSpanContext).length === 1;
    if (!matches) {
      console.log(`  does not match the rows: ${rowsMs} ms, ${failed ? 'failed' : 'ok'}`);
      ok = false;
    }
  }
  return ok;
}

const durationMs = (span: ReadableSpan) => span.duration[0] * 1e3 + span.duration[1] / 1e6;

function printSummary(results: ScenarioResult[]): void {
  console.log('\n── Per-request summary');
  for (const { scenario, client, server } of results) {
    const terminal = server.terminal;
    const count = (boundary: Parameters<CapturedRequest['all']>[0]) => server.all(boundary).length;
    const ending =
      terminal?.boundary === 'backend.sse.aborted'
        ? `aborted (${terminal.metadata.termination_kind}, ${terminal.metadata.bytes_before_abort} bytes)`
        : `complete (HTTP ${String(terminal?.metadata.http_status)})`;
    console.log(
      [
        `${scenario.name.padEnd(15)} test_id ${client.testId}`,
        `  client: HTTP ${client.status}, ${client.events.length} events${client.ended === 'disconnected' ? ', disconnected' : ''}`,
        `  server: ${server.rows.length} rows, ${count('backend.sse.event')} sse.event, ${count('backend.llm.call.heartbeat')} heartbeats, ` +
          `${count('backend.error.caught')} error.caught, ended ${ending} in ${String(terminal?.duration_ms)} ms`,
      ].join('\n'),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
