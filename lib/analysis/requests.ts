import type { CvdiagRow } from '../envelope/envelope.types.js';
import { isSettled, terminalOf } from './rows.js';
import { judge, type CvdiagRequestVerdict, type CvdiagVerdictOptions } from './verdict.js';

/** One request, as `cvdiag ls` shows it. */
export interface CvdiagRequestSummary {
  traceId: string;
  testId: string;
  slug: string;
  demo: string;
  /** ISO time of its first row. */
  startedAt: string;
  /** From the terminal row, else the ingress row; null when neither was written. */
  method: string | null;
  /** The matched route template (terminal row), else the path (ingress row), else null. */
  route: string | null;
  end: 'complete' | 'aborted' | 'none';
  /** `response.complete`'s status. */
  status: number | null;
  /** `sse.aborted`'s kind and bytes. */
  terminationKind: string | null;
  bytes: number | null;
  totalMs: number | null;
  firstByteMs: number | null;
  events: number | null;
  /** Sum of the latencies of its LLM calls; null when none was seen. */
  llmMs: number | null;
  rows: number;
  verdict: CvdiagRequestVerdict;
}

/** The summary and verdict of one request's rows (one trace, oldest first). */
export function summarize(trace: readonly CvdiagRow[], options: CvdiagVerdictOptions = {}): CvdiagRequestSummary {
  const first = trace[0]!;
  const terminal = terminalOf(trace);
  const ingress = trace.find((row) => row.boundary === 'backend.request.ingress');
  const firstByte = trace.find((row) => row.boundary === 'backend.sse.first_byte');
  const llm = trace.filter((row) => row.boundary === 'backend.llm.call.response');
  const summary: CvdiagRequestSummary = {
    traceId: first.trace_id,
    testId: first.test_id,
    slug: first.slug,
    demo: first.demo,
    startedAt: first.ts,
    method: null,
    route: null,
    end: 'none',
    status: null,
    terminationKind: null,
    bytes: null,
    totalMs: null,
    firstByteMs: firstByte?.boundary === 'backend.sse.first_byte' ? firstByte.metadata.delta_ms_from_ingress : null,
    events: null,
    llmMs: llm.length === 0 ? null : llm.reduce((sum, row) => sum + (row.boundary === 'backend.llm.call.response' ? row.metadata.latency_ms : 0), 0),
    rows: trace.length,
    verdict: judge(trace, options),
  };
  if (ingress?.boundary === 'backend.request.ingress') {
    summary.method = ingress.metadata.method;
    summary.route = ingress.metadata.path;
  }
  if (terminal?.boundary === 'backend.response.complete') {
    const m = terminal.metadata;
    Object.assign(summary, { end: 'complete', status: m.http_status, bytes: m.content_length, totalMs: m.total_duration_ms, events: m.sse_event_count });
  } else if (terminal?.boundary === 'backend.sse.aborted') {
    const m = terminal.metadata;
    const events = trace.filter((row) => row.boundary === 'backend.sse.event').length;
    Object.assign(summary, { end: 'aborted', terminationKind: m.termination_kind, bytes: m.bytes_before_abort, totalMs: terminal.duration_ms, events: events > 0 ? events : null });
  }
  if (terminal?.boundary === 'backend.response.complete' || terminal?.boundary === 'backend.sse.aborted') {
    summary.method = terminal.metadata.method ?? summary.method;
    summary.route = terminal.metadata.route ?? summary.route;
  }
  return summary;
}

/** How many decided requests are remembered to recognise their late rows (bounded memory). */
const DECIDED_REMEMBERED = 50_000;

export interface CvdiagCollectorOptions extends CvdiagVerdictOptions {
  /**
   * How long (in log time, from the rows' `ts`) to wait after a request's
   * terminal row for the rows of work still running (`agent.exit`,
   * `llm.call.response`) before deciding it. A request whose work all ended
   * is decided at once. Default 60 000 ms.
   */
  graceMs?: number;
  /** A request without a terminal row and no new row for this long is decided (`no-terminal`). Default 600 000 ms. */
  staleMs?: number;
}

/**
 * Groups rows into requests as they are read (rows of many requests and
 * processes interleave) and hands each request to `onDecided` once it is
 * complete: its terminal row is in and its work ended, or the grace window
 * passed, or the input ended. A decided request's rows are released, so
 * memory holds only the requests in flight, whatever the size of the input.
 */
export class CvdiagRequestCollector {
  private readonly open = new Map<string, { rows: CvdiagRow[]; lastMs: number; terminalMs: number | null }>();
  private clockMs = 0;
  private sweptAtMs = 0;
  /** Requests decided lately: a row of one of them that comes later is counted, not taken for a new request. */
  private readonly decided = new Set<string>();
  /** Rows that came after their request was decided (later than the grace window). */
  lateRows = 0;
  private readonly graceMs: number;
  private readonly staleMs: number;

  constructor(
    private readonly onDecided: (rows: CvdiagRow[]) => void,
    options: CvdiagCollectorOptions = {},
  ) {
    this.graceMs = options.graceMs ?? 60_000;
    this.staleMs = options.staleMs ?? 600_000;
  }

  /** Requests read and not decided yet. */
  get inFlight(): number {
    return this.open.size;
  }

  /** The log's clock: the latest `ts` read. */
  get logClockMs(): number {
    return this.clockMs;
  }

  add(row: CvdiagRow): void {
    const atMs = Date.parse(row.ts) || this.clockMs;
    if (atMs > this.clockMs) this.clockMs = atMs;
    if (this.decided.has(row.trace_id)) {
      this.lateRows++;
      return;
    }
    let request = this.open.get(row.trace_id);
    if (!request) {
      request = { rows: [], lastMs: atMs, terminalMs: null };
      this.open.set(row.trace_id, request);
    }
    request.rows.push(row);
    request.lastMs = atMs;
    if (row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted') request.terminalMs = atMs;
    if (request.terminalMs !== null && isSettled(request.rows)) this.decide(row.trace_id);
    // Look for requests past their window now and then, not on every row.
    if (this.clockMs - this.sweptAtMs >= 1_000) this.sweep(this.clockMs);
  }

  /** Decides the requests whose window passed at `nowMs` (log time; `tail` passes the wall clock when input is idle). */
  sweep(nowMs: number = this.clockMs): void {
    this.sweptAtMs = nowMs;
    for (const [traceId, request] of this.open) {
      const late = request.terminalMs !== null ? nowMs - request.terminalMs >= this.graceMs : nowMs - request.lastMs >= this.staleMs;
      if (late) this.decide(traceId);
    }
  }

  /** The input ended: every request still open is decided as it is. */
  end(): void {
    for (const traceId of [...this.open.keys()]) this.decide(traceId);
  }

  private decide(traceId: string): void {
    const request = this.open.get(traceId);
    if (!request) return;
    this.open.delete(traceId);
    this.decided.add(traceId);
    if (this.decided.size > DECIDED_REMEMBERED) this.decided.delete(this.decided.values().next().value!);
    // Rows of several processes can arrive out of order; within one request they share a clock.
    request.rows.sort((a, b) => a.mono_ns - b.mono_ns);
    this.onDecided(request.rows);
  }
}
