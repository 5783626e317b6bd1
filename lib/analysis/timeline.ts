import type { CvdiagEnvelope } from '../envelope/envelope.types.js';
import { printable } from './printable.js';
import { groupByTrace } from './rows.js';

/** Colours for a terminal; every function returns its text unchanged when colours are off. */
export interface CvdiagPaint {
  dim(text: string): string;
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const PLAIN: CvdiagPaint = { dim: (t) => t, bold: (t) => t, red: (t) => t, green: (t) => t, yellow: (t) => t };

export interface CvdiagTimelineOptions {
  paint?: CvdiagPaint;
  /** Width of the waterfall bar drawn on the terminal row; 0 for none (the default). */
  barWidth?: number;
}

/**
 * A request's rows as a readable timeline, one line per row: ms since the
 * request's first row, the boundary, its outcome and key metadata. Runs of
 * `sse.event` rows are folded by type, runs of heartbeats into one line.
 *
 *   request 0195…c3f2 · trace 0195…9a01 · GET /agent/answer
 *        0.0 ms  request.ingress             GET /agent/answer
 *        1.2 ms  agent.enter                 support-agent (gpt-4o-mini)
 *       12.5 ms  sse.event ×4                message ×4
 *       40.1 ms  response.complete ok        200, 4 events, 812 B   [····██████████]
 */
export function renderTimeline(rows: readonly CvdiagEnvelope[], options: CvdiagTimelineOptions = {}): string {
  if (rows.length === 0) return '(no rows)';
  const out: string[] = [];
  for (const trace of groupByTrace(rows).values()) {
    if (out.length > 0) out.push('');
    out.push((options.paint ?? PLAIN).bold(printable(traceHeading(trace))));
    out.push(...traceLines(trace, options));
  }
  return out.join('\n');
}

function traceHeading(trace: readonly CvdiagEnvelope[]): string {
  const first = trace[0];
  const ingress = trace.find((row) => row.boundary === 'backend.request.ingress');
  const what = ingress ? ` · ${String(ingress.metadata.method)} ${String(ingress.metadata.path)}` : '';
  return `request ${first.test_id} · trace ${first.trace_id}${what}`;
}

function traceLines(trace: readonly CvdiagEnvelope[], options: CvdiagTimelineOptions): string[] {
  const paint = options.paint ?? PLAIN;
  const startNs = trace[0].mono_ns;
  const at = (row: CvdiagEnvelope) => paint.dim(`${((row.mono_ns - startNs) / 1e6).toFixed(1).padStart(9)} ms`);
  const lines: string[] = [];
  for (let i = 0; i < trace.length; i++) {
    const row = trace[i];
    let run = 1;
    if (row.boundary === 'backend.sse.event' || row.boundary === 'backend.llm.call.heartbeat') {
      while (i + run < trace.length && trace[i + run].boundary === row.boundary) run++;
    }
    if (run > 1) {
      const folded = trace.slice(i, i + run);
      lines.push(`${at(row)}  ${label(row, `×${run}`, paint)}${printable(foldedDetail(folded))}`);
      i += run - 1;
    } else {
      const bar = options.barWidth && (row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted') ? `  ${waterfall(trace, row, options.barWidth, paint)}` : '';
      lines.push(`${at(row)}  ${label(row, '', paint)}${printable(detail(row))}${bar}`);
    }
  }
  return lines;
}

/**
 * The request on one bar from ingress to its end: `·` before the first byte,
 * `█` while bytes flowed, `✕` where the client or the server cut it.
 */
function waterfall(trace: readonly CvdiagEnvelope[], terminal: CvdiagEnvelope, width: number, paint: CvdiagPaint): string {
  const total = Math.max(1, terminal.mono_ns - trace[0].mono_ns);
  const firstByte = trace.find((row) => row.boundary === 'backend.sse.first_byte');
  const waiting = firstByte ? Math.round(((firstByte.mono_ns - trace[0].mono_ns) / total) * width) : terminal.boundary === 'backend.sse.aborted' && Number(terminal.metadata.bytes_before_abort) === 0 ? width : 0;
  const cut = terminal.boundary === 'backend.sse.aborted';
  const flowing = Math.max(0, width - waiting - (cut ? 1 : 0));
  const body = '·'.repeat(Math.min(width, waiting)) + '█'.repeat(flowing);
  return `[${cut ? paint.red(`${body.slice(0, width - 1)}✕`) : paint.green(body)}]`;
}

function label(row: CvdiagEnvelope, count: string, paint: CvdiagPaint): string {
  const name = row.boundary.replace(/^backend\./, '');
  const outcome = row.outcome === 'info' ? '' : ` ${row.outcome}`;
  const text = `${name}${count ? ` ${count}` : ''}${outcome}`.padEnd(28);
  return row.outcome === 'err' || row.outcome === 'timeout' ? paint.red(text) : row.outcome === 'ok' ? paint.green(text) : text;
}

function foldedDetail(rows: readonly CvdiagEnvelope[]): string {
  if (rows[0].boundary === 'backend.llm.call.heartbeat') {
    const last = rows[rows.length - 1].metadata.elapsed_ms_since_start;
    return `${rows.length} heartbeats, last at ${duration(Number(last))}`;
  }
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(String(row.metadata.event_type), (counts.get(String(row.metadata.event_type)) ?? 0) + 1);
  return [...counts].map(([type, n]) => (n > 1 ? `${type} ×${n}` : type)).join(', ');
}

function detail(row: CvdiagEnvelope): string {
  const m = row.metadata as Record<string, unknown>;
  switch (row.boundary) {
    case 'backend.request.ingress':
      return `${String(m.method)} ${String(m.path)}`;
    case 'backend.agent.enter':
      return `${String(m.agent_name)}${m.model_id ? ` (${String(m.model_id)})` : ''}`;
    case 'backend.llm.call.start':
      return [m.provider, m.model].filter(Boolean).join(' / ');
    case 'backend.llm.call.heartbeat':
      return `at ${duration(Number(m.elapsed_ms_since_start))}`;
    case 'backend.llm.call.response':
      return [
        `${String(m.latency_ms)} ms`,
        m.response_token_count === null ? '' : `${String(m.response_token_count)} tokens`,
        m.error_class ? String(m.error_class) : '',
      ].filter(Boolean).join(', ');
    case 'backend.sse.first_byte':
      return `+${String(m.delta_ms_from_ingress)} ms after ingress`;
    case 'backend.sse.event':
      return `${String(m.event_type)} #${String(m.sequence_num)}, ${String(m.payload_size_bytes)} B`;
    case 'backend.sse.aborted':
      return `${String(m.termination_kind)} after ${String(m.bytes_before_abort)} B`;
    case 'backend.agent.exit':
      return `${String(m.total_duration_ms)} ms`;
    case 'backend.response.complete':
      return `${String(m.http_status)}, ${String(m.sse_event_count)} events, ${String(m.content_length)} B`;
    case 'backend.error.caught': {
      const frame = Array.isArray(m.stack_brief) ? (m.stack_brief[0] as { file?: string; line?: number | null } | undefined) : undefined;
      const where = frame ? ` at ${String(frame.file)}${frame.line === null || frame.line === undefined ? '' : `:${frame.line}`}` : '';
      return `${String(m.exception_type)}: ${oneLine(String(m.message_scrubbed), 100)}${where}`;
    }
    case 'cvdiag.queue_dropped':
      return `${String(m.dropped_count)} rows dropped`;
    default:
      return '';
  }
}

/** `40 ms`, `30.0 s`: milliseconds below ten seconds. */
export function duration(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
