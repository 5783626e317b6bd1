/**
 * `cvdiag ls` and `cvdiag explain` on generated logs (table 4): read speed in
 * MB of log per second and the process's peak memory, at two input sizes, so
 * that memory staying flat as the input grows shows. The log interleaves 20
 * requests at a time, SSE requests at debug tier (14 rows each), every 10th
 * one aborted by its client; the built CLI runs as users run it.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { outFile, ROOT } from './paths';

export interface CliReadResult {
  command: 'ls' | 'explain';
  megabytes: number;
  requests: number;
  seconds: number;
  mbPerSecond: number;
  peakRssMb: number;
}

export interface CliReadConfig {
  /** Log sizes to generate, MB. */
  sizesMb: number[];
}

/** The rows of one request, as a debug-tier SSE request writes them; ids and times filled in per request. */
function requestRows(index: number, startMs: number): string[] {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0').slice(-width);
  const testId = `0195${hex(startMs, 8).slice(0, 4)}-${hex(startMs, 4)}-7${hex(index, 3)}-8${hex(index * 7, 3)}-${hex(index, 12)}`;
  const traceId = `0195${hex(startMs, 8).slice(0, 4)}-${hex(startMs + 1, 4)}-7${hex(index, 3)}-9${hex(index * 3, 3)}-${hex(index * 13, 12)}`;
  const aborted = index % 10 === 0;
  let span = index * 100;
  const base = (boundary: string, at: number, outcome: string, metadata: object, parent: string | null = null) => {
    const spanId = hex(++span, 16);
    return {
      spanId,
      line: `CVDIAG ${JSON.stringify({
        schema_version: 1, test_id: testId, trace_id: traceId, span_id: spanId, parent_span_id: parent, layer: 'backend', boundary,
        slug: 'bench-agent', demo: 'agent', ts: new Date(startMs + at).toISOString(), mono_ns: (startMs + at) * 1e6, duration_ms: at,
        outcome, edge_headers: { 'cf-ray': null, 'cf-mitigated': null, 'cf-cache-status': null, 'x-railway-edge': null, 'x-railway-request-id': null, 'x-hikari-trace': null, 'retry-after': null, via: null, server: null },
        metadata, _metadata_dropped: false, _truncated: false,
      })}`,
    };
  };
  const ingress = base('backend.request.ingress', 0, 'info', { method: 'POST', path: '/agent/run', content_length: 48 });
  const agent = base('backend.agent.enter', 1, 'info', { agent_name: 'support-agent', model_id: 'gpt-4o-mini' }, ingress.spanId);
  const llm = base('backend.llm.call.start', 2, 'info', { provider: 'openai', model: 'gpt-4o-mini', prompt_token_count_estimate: 420 }, agent.spanId);
  const rows = [ingress, agent, llm, base('backend.sse.first_byte', 40, 'info', { delta_ms_from_ingress: 40 }, ingress.spanId)];
  const events = aborted ? 3 : 6;
  for (let n = 0; n < events; n++) rows.push(base('backend.sse.event', 45 + n * 10, 'info', { event_type: 'TEXT_MESSAGE_CONTENT', payload_size_bytes: 120, sequence_num: n }, ingress.spanId));
  const end = 45 + events * 10;
  rows.push(
    aborted
      ? base('backend.sse.aborted', end, 'err', { termination_kind: 'rst', bytes_before_abort: 360, method: 'POST', route: '/agent/run', last_event_type: 'TEXT_MESSAGE_CONTENT' }, ingress.spanId)
      : base('backend.response.complete', end, 'ok', { http_status: 200, content_length: 720, total_duration_ms: end, sse_event_count: events, method: 'POST', route: '/agent/run', last_event_type: 'RUN_FINISHED' }, ingress.spanId),
  );
  rows.push(base('backend.llm.call.response', end + 1, aborted ? 'err' : 'ok', { provider: 'openai', model: 'gpt-4o-mini', response_token_count: aborted ? null : 64, latency_ms: end - 1, error_class: aborted ? 'Abandoned' : null }, llm.spanId));
  rows.push(base('backend.agent.exit', end + 2, aborted ? 'err' : 'ok', { terminal_outcome: aborted ? 'err' : 'ok', total_duration_ms: end + 1 }, agent.spanId));
  return rows.map((row) => row.line);
}

/** A log of about `megabytes` MB: requests 20 at a time, their rows interleaved as concurrent requests' are. */
async function generate(file: string, megabytes: number): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  let requests = 0;
  const target = megabytes * 1e6;
  const startMs = Date.parse('2026-12-02T06:00:00Z');
  while (bytes < target) {
    const batch = Array.from({ length: 20 }, (_, k) => requestRows(requests + k, startMs + (requests + k) * 5));
    requests += batch.length;
    const longest = Math.max(...batch.map((rows) => rows.length));
    let chunk = '';
    for (let row = 0; row < longest; row++) for (const rows of batch) if (rows[row]) chunk += `${rows[row]}\n`;
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return requests;
}

export async function measureCliRead(config: CliReadConfig, log: (line: string) => void): Promise<CliReadResult[]> {
  const cli = join(ROOT, 'dist', 'cjs', 'cli', 'main.js');
  // Prints the process's peak RSS (kB) on exit: loaded before the CLI with --require.
  const rssProbe = outFile('peak-rss.cjs');
  writeFileSync(rssProbe, "process.on('exit', () => process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\\n`));\n");
  const results: CliReadResult[] = [];
  for (const megabytes of config.sizesMb) {
    const file = outFile(`cli-read-${megabytes}mb.log`);
    const requests = await generate(file, megabytes);
    const actualMb = statSync(file).size / 1e6;
    for (const command of ['ls', 'explain'] as const) {
      const started = process.hrtime.bigint();
      const run = spawnSync(process.execPath, ['--require', rssProbe, cli, command, file], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      // explain exits 1 here: some requests failed (the aborted ones).
      if (run.status !== 0 && !(command === 'explain' && run.status === 1)) throw new Error(`cvdiag ${command} exited ${run.status}: ${run.stderr}`);
      const stderr = run.stderr;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rss = /peak-rss-kb (\d+)/.exec(stderr)?.[1];
      const result: CliReadResult = { command, megabytes: actualMb, requests, seconds, mbPerSecond: actualMb / seconds, peakRssMb: rss ? Number(rss) / 1024 : Number.NaN };
      results.push(result);
      log(`  cvdiag ${command} ${actualMb.toFixed(0)} MB (${requests} requests): ${seconds.toFixed(2)} s, ${result.mbPerSecond.toFixed(0)} MB/s, peak RSS ${result.peakRssMb.toFixed(0)} MB`);
    }
    unlinkSync(file);
  }
  return results;
}
