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
import { AppModule } from './app.module';
import { runScenario, Scenario, ScenarioResult } from './client/scripted-client';
import { SummarySink } from './client/summary.sink';
import { startFakeOpenAi } from './fake-openai/fake-openai.server';

const HEARTBEAT_MS = 250;

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

  const summary = new SummarySink();
  const app = await NestFactory.create(AppModule.register(llm, [new StdoutSink(), summary], HEARTBEAT_MS), {
    logger: new CvdiagWarningsLogger(),
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${port}`;

  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS) {
    console.log(`\n── ${scenario.name}: ${scenario.describe}`);
    results.push(await runScenario(baseUrl, scenario));
    await settle(summary, results.at(-1)!.testId);
  }

  await app.close();
  await fake?.close();
  printSummary(results, summary);

  const seen = new Set(summary.rows.map((row) => row.boundary));
  const missing = BACKEND_BOUNDARIES.filter((boundary) => !seen.has(boundary));
  if (missing.length > 0) {
    console.error(`\nMissing boundaries: ${missing.join(', ')}`);
    process.exitCode = 1;
    return;
  }
  console.log(`\nAll ${BACKEND_BOUNDARIES.length} backend boundaries were written.`);
}

/** Waits (bounded) for the request's terminal row and the late end rows of its work. */
async function settle(summary: SummarySink, testId: string): Promise<void> {
  const deadline = Date.now() + 5000;
  const terminal = () => summary.rowsFor(testId).some((row) => row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted');
  while (!terminal() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 100));
}

function printSummary(results: ScenarioResult[], summary: SummarySink): void {
  console.log('\n── Per-request summary');
  for (const result of results) {
    const rows = summary.rowsFor(result.testId);
    const terminal = rows.find((row) => row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted');
    const count = (boundary: string) => rows.filter((row) => row.boundary === boundary).length;
    const ending =
      terminal?.boundary === 'backend.sse.aborted'
        ? `aborted (${String(terminal.metadata.termination_kind)}, ${String(terminal.metadata.bytes_before_abort)} bytes)`
        : `complete (HTTP ${String(terminal?.metadata.http_status)})`;
    console.log(
      [
        `${result.scenario.name.padEnd(15)} test_id ${result.testId}`,
        `  client: HTTP ${result.status}, ${result.events} events${result.disconnected ? ', disconnected' : ''}`,
        `  server: ${rows.length} rows, ${count('backend.sse.event')} sse.event, ${count('backend.llm.call.heartbeat')} heartbeats, ` +
          `${count('backend.error.caught')} error.caught, ended ${ending} in ${String(terminal?.duration_ms)} ms`,
      ].join('\n'),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
