import type { CvdiagRow } from '../envelope/envelope.types.js';
import { terminalOf } from './rows.js';

/**
 * Where a request died, one word for each way. The first that applies, in
 * this order, is the request's verdict: causes before symptoms (a client that
 * gave up on a stalled LLM call is `llm-stalled`, not `client-left-…`).
 */
export const VERDICTS = [
  'no-terminal',
  'llm-error',
  'llm-stalled',
  'in-band-error',
  'stream-error',
  'server-timeout',
  'provider-empty',
  'protocol-incomplete',
  'edge-interference',
  'http-error',
  'slow-first-byte',
  'client-left-before-first-byte',
  'client-left-mid-stream',
  'ok',
] as const;

export type CvdiagVerdict = (typeof VERDICTS)[number];

/** One way the request went wrong (or `ok`), with the rows that show it. */
export interface CvdiagFinding {
  verdict: CvdiagVerdict;
  /** One sentence. */
  reason: string;
  evidence: CvdiagRow[];
}

export interface CvdiagRequestVerdict extends CvdiagFinding {
  /** Every finding that applies, the verdict's first. */
  findings: CvdiagFinding[];
  /** Stages the rows cannot show at the tier they were written at (`"LLM calls (verbose tier)"`). */
  unseen: string[];
  /** Any verdict but `ok`. */
  failed: boolean;
}

export interface CvdiagVerdictOptions {
  /** First byte later than this is `slow-first-byte`. Default 10 000 ms. */
  slowFirstByteMs?: number;
  /**
   * Nothing written to the client for this long while an LLM call was open is
   * `llm-stalled`. Default: the call's heartbeat interval (from its heartbeats).
   */
  stallMs?: number;
}

export const DEFAULT_SLOW_FIRST_BYTE_MS = 10_000;

/** The AG-UI event types that end a run; a stream of AG-UI events that ends otherwise is incomplete. */
const AGUI_RUN_ENDS = new Set(['RUN_FINISHED', 'RUN_ERROR']);
const AGUI_TYPE = /^(RUN|TEXT_MESSAGE|TOOL_CALL|STATE|STEP|MESSAGES|THINKING|REASONING|ACTIVITY)_[A-Z_]+$|^(RAW|CUSTOM)$/;

/** A request's verdict from its rows (one trace, oldest first). */
export function judge(trace: readonly CvdiagRow[], options: CvdiagVerdictOptions = {}): CvdiagRequestVerdict {
  const facts = new TraceFacts(trace);
  const findings: CvdiagFinding[] = [];
  const found = (verdict: CvdiagVerdict, reason: string, evidence: Array<CvdiagRow | undefined>) =>
    findings.push({ verdict, reason, evidence: evidence.filter((row): row is CvdiagRow => row !== undefined) });

  const { terminal } = facts;
  // Work outside any request (a job, a script) has no terminal row by design: only a request, or work left open, lacks one.
  if (!terminal && (facts.looksLikeRequest() || facts.openWork() > 0)) {
    const last = trace[trace.length - 1];
    found('no-terminal', `The rows stop ${last ? `at ${short(last.boundary)}` : ''} without a terminal row: the process was killed, or the log was cut.`, [last]);
  }

  for (const response of facts.llmResponses) {
    const m = response.metadata;
    if (response.outcome === 'err' && !endedByClient(m.error_class)) {
      found('llm-error', `The LLM call${model(m)} failed with ${m.error_class ?? 'an error'} after ${m.latency_ms} ms.`, [response]);
    }
  }

  const stall = facts.stall(options.stallMs);
  if (stall) found('llm-stalled', stall.reason, stall.evidence);

  for (const error of facts.errors) {
    const m = error.metadata;
    if (m.stack_brief.length === 0 && (m.exception_type === 'RUN_ERROR' || m.exception_type === 'error')) {
      found('in-band-error', `The stream carried an error event (${m.exception_type}): ${oneLine(m.message_scrubbed)}.`, [error]);
    }
  }

  if (terminal?.boundary === 'backend.sse.aborted') {
    const m = terminal.metadata;
    if (m.termination_kind === 'chunk_error') found('stream-error', `Writing the stream failed after ${m.bytes_before_abort} bytes.`, [terminal, facts.errors[0]]);
    if (m.termination_kind === 'timeout') found('server-timeout', `The server's timeout closed the response after ${m.bytes_before_abort} bytes.`, [terminal]);
  }

  if (terminal?.boundary === 'backend.response.complete' && terminal.metadata.sse_event_count === 0) {
    // 0 tokens reported (recordLlmUsage); null means the app did not report usage, which says nothing.
    const empty = facts.llmResponses.find((row) => row.outcome === 'ok' && row.metadata.response_token_count === 0);
    if (empty) found('provider-empty', 'The LLM answered ok with 0 tokens and the response carried no events.', [empty, terminal]);
  }

  if (terminal?.boundary === 'backend.response.complete' && terminal.metadata.http_status < 400) {
    const last = terminal.metadata.last_event_type;
    if (last !== null && AGUI_TYPE.test(last) && !AGUI_RUN_ENDS.has(last)) {
      found('protocol-incomplete', `The AG-UI stream completed after ${last}, without RUN_FINISHED or RUN_ERROR.`, [terminal]);
    } else if (last === 'chat.completion.chunk') {
      found('protocol-incomplete', 'The OpenAI-style stream completed without its [DONE] event.', [terminal]);
    }
  }

  const edge = facts.edgeInterference();
  if (edge) found('edge-interference', edge.reason, [edge.row]);

  if (terminal?.boundary === 'backend.response.complete' && terminal.metadata.http_status >= 400) {
    const error = facts.errors[0];
    const cause = error ? ` (${error.metadata.exception_type}: ${oneLine(error.metadata.message_scrubbed)})` : '';
    found('http-error', `The response was HTTP ${terminal.metadata.http_status}${cause}.`, [error, terminal]);
  }

  const slowMs = options.slowFirstByteMs ?? DEFAULT_SLOW_FIRST_BYTE_MS;
  if (facts.firstByte && facts.firstByte.metadata.delta_ms_from_ingress > slowMs) {
    found('slow-first-byte', `The first byte left ${facts.firstByte.metadata.delta_ms_from_ingress} ms after ingress (threshold ${slowMs} ms).`, [facts.firstByte]);
  }

  if (terminal?.boundary === 'backend.sse.aborted' && terminal.metadata.termination_kind === 'rst') {
    const bytes = terminal.metadata.bytes_before_abort;
    if (bytes === 0) found('client-left-before-first-byte', `The client left after ${terminal.duration_ms ?? '?'} ms, before the first byte.`, [terminal]);
    else found('client-left-mid-stream', `The client left mid-stream after ${bytes} bytes and ${terminal.duration_ms ?? '?'} ms.`, [terminal]);
  }

  findings.sort((a, b) => VERDICTS.indexOf(a.verdict) - VERDICTS.indexOf(b.verdict));
  const first = findings[0] ?? { verdict: 'ok' as const, reason: okReason(terminal), evidence: terminal ? [terminal] : [] };
  return { ...first, findings: findings.length > 0 ? findings : [first], unseen: facts.unseen(), failed: first.verdict !== 'ok' };
}

/** An LLM call that ended because the client left (abandoned, or aborted by CVDIAG's client-gone signal) did not fail by itself. */
function endedByClient(errorClass: string | null): boolean {
  return errorClass === 'Abandoned' || errorClass === 'ClientGoneError' || errorClass === 'AbortError';
}

function okReason(terminal: CvdiagRow | undefined): string {
  if (terminal?.boundary !== 'backend.response.complete') return 'Nothing went wrong that the rows show.';
  const m = terminal.metadata;
  return `HTTP ${m.http_status} in ${m.total_duration_ms} ms${m.sse_event_count > 0 ? `, ${m.sse_event_count} events` : ''}.`;
}

/** What a verdict needs to know about a trace, each computed once. */
class TraceFacts {
  readonly terminal: CvdiagRow<'backend.response.complete' | 'backend.sse.aborted'> | undefined;
  readonly llmStarts: CvdiagRow<'backend.llm.call.start'>[] = [];
  readonly llmResponses: CvdiagRow<'backend.llm.call.response'>[] = [];
  readonly heartbeats: CvdiagRow<'backend.llm.call.heartbeat'>[] = [];
  readonly errors: CvdiagRow<'backend.error.caught'>[] = [];
  readonly events: CvdiagRow<'backend.sse.event'>[] = [];
  readonly firstByte: CvdiagRow<'backend.sse.first_byte'> | undefined;
  readonly ingress: CvdiagRow<'backend.request.ingress'> | undefined;

  constructor(private readonly trace: readonly CvdiagRow[]) {
    this.terminal = terminalOf(trace) as TraceFacts['terminal'];
    let firstByte: TraceFacts['firstByte'];
    let ingress: TraceFacts['ingress'];
    for (const row of trace) {
      switch (row.boundary) {
        case 'backend.llm.call.start':
          this.llmStarts.push(row);
          break;
        case 'backend.llm.call.response':
          this.llmResponses.push(row);
          break;
        case 'backend.llm.call.heartbeat':
          this.heartbeats.push(row);
          break;
        case 'backend.error.caught':
          this.errors.push(row);
          break;
        case 'backend.sse.event':
          this.events.push(row);
          break;
        case 'backend.sse.first_byte':
          firstByte ??= row;
          break;
        case 'backend.request.ingress':
          ingress ??= row;
          break;
      }
    }
    this.firstByte = firstByte;
    this.ingress = ingress;
  }

  /**
   * An LLM call open (no response, or ended abandoned when the client left)
   * while nothing was written to the client for at least `stallMs` (default:
   * its heartbeat interval) before the request ended, with heartbeats in that
   * silence to prove the call was still waiting.
   */
  stall(stallMs: number | undefined): { reason: string; evidence: CvdiagRow[] } | undefined {
    const endNs = (this.terminal ?? this.trace[this.trace.length - 1])?.mono_ns;
    if (endNs === undefined) return undefined;
    for (const start of this.llmStarts) {
      // A call's response and heartbeats are children of its start row.
      const response = this.llmResponses.find((row) => row.parent_span_id === start.span_id);
      const open = !response || endedByClient(response.metadata.error_class);
      if (!open) continue;
      const beats = this.heartbeats.filter((row) => row.parent_span_id === start.span_id);
      if (beats.length === 0) continue;
      const intervalMs = stallMs ?? beats[0]!.metadata.elapsed_ms_since_start;
      // The last write we can see: the last event (debug), else the first byte (verbose), else the call's start.
      const lastWrite = this.events[this.events.length - 1] ?? this.firstByte;
      // Without the event rows (debug tier) the writes after the first byte cannot be seen: no claim of silence then.
      if (this.events.length === 0 && this.terminal?.boundary === 'backend.sse.aborted' && this.terminal.metadata.bytes_before_abort > 0) continue;
      if (lastWrite && this.events.length === 0 && this.terminal?.boundary === 'backend.response.complete' && this.terminal.metadata.sse_event_count > 0) continue;
      const silentFromNs = Math.max(lastWrite?.mono_ns ?? start.mono_ns, start.mono_ns);
      const silentMs = (endNs - silentFromNs) / 1e6;
      const beatsInSilence = beats.filter((row) => row.mono_ns > silentFromNs);
      if (silentMs >= intervalMs && beatsInSilence.length > 0) {
        const last = beatsInSilence[beatsInSilence.length - 1]!;
        return {
          reason: `The LLM call${model(start.metadata)} was still waiting (${beatsInSilence.length} heartbeat${beatsInSilence.length > 1 ? 's' : ''}, last at ${seconds(last.metadata.elapsed_ms_since_start)}) while nothing reached the client for ${seconds(silentMs)} before the request ended.`,
          evidence: [start, last, ...(response ? [response] : []), ...(this.terminal ? [this.terminal] : [])],
        };
      }
    }
    return undefined;
  }

  edgeInterference(): { reason: string; row: CvdiagRow } | undefined {
    const status = this.terminal?.boundary === 'backend.response.complete' ? this.terminal.metadata.http_status : undefined;
    for (const row of this.trace) {
      const edge = row.edge_headers;
      if (!edge) continue;
      if (edge['cf-mitigated']) return { reason: `Cloudflare stepped in (cf-mitigated: ${edge['cf-mitigated']}).`, row };
      if (edge['retry-after'] && status !== undefined && status >= 400) return { reason: `The response asked the client to retry later (retry-after: ${edge['retry-after']}, HTTP ${status}).`, row };
      // Many platforms add `via` to every request: a proxy is a suspect only for a request that failed.
      if (edge.via && this.failedAtTheEnd()) return { reason: `The request failed behind a proxy (via: ${edge.via}).`, row };
    }
    return undefined;
  }

  /** The response ended badly: a status of 400 or more, or an abort. */
  failedAtTheEnd(): boolean {
    if (this.terminal?.boundary === 'backend.sse.aborted') return true;
    return this.terminal?.boundary === 'backend.response.complete' && this.terminal.metadata.http_status >= 400;
  }

  /** Rows only a request writes (any tier): its ingress, first byte, events, terminal. */
  looksLikeRequest(): boolean {
    return this.trace.some((row) => row.boundary === 'backend.request.ingress' || row.boundary === 'backend.sse.first_byte' || row.boundary === 'backend.sse.event' || row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted');
  }

  /** Agent and LLM calls started and not ended. */
  openWork(): number {
    let open = 0;
    for (const row of this.trace) {
      if (row.boundary === 'backend.agent.enter' || row.boundary === 'backend.llm.call.start') open++;
      else if (row.boundary === 'backend.agent.exit' || row.boundary === 'backend.llm.call.response') open--;
    }
    return open;
  }

  /** Stages these rows cannot show, judging by which tier wrote them. */
  unseen(): string[] {
    const unseen: string[] = [];
    if (!this.ingress) unseen.push('ingress, first byte and LLM calls (verbose tier)');
    const wrote = this.terminal?.boundary === 'backend.response.complete' ? this.terminal.metadata.sse_event_count > 0 : this.terminal?.boundary === 'backend.sse.aborted' && this.terminal.metadata.bytes_before_abort > 0;
    if (this.events.length === 0 && wrote) unseen.push('stream events (debug tier)');
    return unseen;
  }
}

function model(m: { provider?: string | null; model?: string | null }): string {
  const name = [m.provider, m.model].filter(Boolean).join('/');
  return name ? ` (${name})` : '';
}

function short(boundary: string): string {
  return boundary.replace(/^backend\./, '');
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

