import type { CvdiagEnvelope } from '../envelope/envelope.types.js';
import { groupByTrace } from './rows.js';

/**
 * A request's rows as a readable timeline, one line per row: ms since the
 * request's first row, the boundary, its outcome and key metadata. Runs of
 * `sse.event` rows and of heartbeats are folded into one line each.
 *
 *   request 0195…c3f2 · trace 0195…9a01 · GET /agent/answer
 *        0.0 ms  request.ingress       GET /agent/answer
 *        1.2 ms  agent.enter           support-agent (gpt-4o-mini)
 *       12.5 ms  sse.event ×4          message ×4
 *       40.1 ms  response.complete ok  200, 4 events
 */
export function renderTimeline(rows: readonly CvdiagEnvelope[]): string {
  if (rows.length === 0) return '(no rows)';
  const out: string[] = [];
  for (const trace of groupByTrace(rows).values()) {
    if (out.length > 0) out.push('');
    out.push(traceHeading(trace));
    out.push(...traceLines(trace));
  }
  return out.join('\n');
}

function traceHeading(trace: readonly CvdiagEnvelope[]): string {
  const first = trace[0];
  const ingress = trace.find((row) => row.boundary === 'backend.request.ingress');
  const what = ingress ? ` · ${String(ingress.metadata.method)} ${String(ingress.metadata.path)}` : '';
  return `request ${first.test_id} · trace ${first.trace_id}${what}`;
}

function traceLines(trace: readonly CvdiagEnvelope[]): string[] {
  const startNs = trace[0].mono_ns;
  const at = (row: CvdiagEnvelope) => `${((row.mono_ns - startNs) / 1e6).toFixed(1).padStart(9)} ms`;
  const lines: string[] = [];
  for (let i = 0; i < trace.length; i++) {
    const row = trace[i];
    let run = 1;
    if (row.boundary === 'backend.sse.event' || row.boundary === 'backend.llm.call.heartbeat') {
      while (i + run < trace.length && trace[i + run].boundary === row.boundary) run++;
    }
    if (run > 1) {
      const folded = trace.slice(i, i + run);
      lines.push(`${at(row)}  ${label(row, `×${run}`)}${foldedDetail(folded)}`);
      i += run - 1;
    } else {
      lines.push(`${at(row)}  ${label(row, '')}${detail(row)}`);
    }
  }
  return lines;
}

function label(row: CvdiagEnvelope, count: string): string {
  const name = row.boundary.replace(/^backend\./, '');
  const outcome = row.outcome === 'info' ? '' : ` ${row.outcome}`;
  return `${name}${count ? ` ${count}` : ''}${outcome}`.padEnd(28);
}

function foldedDetail(rows: readonly CvdiagEnvelope[]): string {
  if (rows[0].boundary === 'backend.llm.call.heartbeat') {
    const last = rows[rows.length - 1].metadata.elapsed_ms_since_start;
    return `last at ${duration(Number(last))}`;
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
function duration(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
