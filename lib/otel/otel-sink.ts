import { context as otelContext, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { CvdiagEnvelope, CvdiagRow } from '../envelope/envelope.types.js';
import type { CvdiagSink } from '../sinks/cvdiag-sink.interface.js';

/**
 * The part of an OpenTelemetry logs-API `Logger` (`@opentelemetry/api-logs`)
 * the sink uses: pass `logs.getLogger('nestjs-cvdiag')`.
 */
export interface CvdiagOtelLogger {
  emit(record: {
    timestamp?: number;
    severityNumber?: number;
    severityText?: string;
    body?: string;
    attributes?: Attributes;
    context?: Context;
  }): void;
}

export interface CvdiagOtelSinkOptions {
  /** The tracer spans are made with. Default: `trace.getTracer('nestjs-cvdiag')` of the registered provider. */
  tracer?: Tracer;
  /** Also write each row as an OpenTelemetry log record, in its span's context (`logs.getLogger('nestjs-cvdiag')`). */
  logger?: CvdiagOtelLogger;
  /** Requests held until their terminal row; beyond this, the one held longest is made into spans as it is (counted). Default 10 000. */
  maxOpenRequests?: number;
  /** Rows held per request; beyond this, its rows but the terminal and the ends of agent and LLM calls are dropped (counted). Default 2 000. */
  maxRowsPerRequest?: number;
  /**
   * A trace with no new row for this long is made into spans as it is: work
   * outside any request (a job, a script), or a request whose terminal row
   * never came. Default 60 000 ms.
   */
  idleMs?: number;
  /** How long an agent or LLM span stays open after its request ended, waiting for its end row. Default 60 000 ms. */
  lateWorkMs?: number;
}

/** What the sink did: spans it made and rows it had to drop. */
export interface CvdiagOtelStats {
  requests: number;
  spans: number;
  droppedRows: number;
  /** Requests whose spans could not be made (the SDK threw). */
  droppedRequests: number;
  /** Requests made into spans before their terminal row because `maxOpenRequests` were held. */
  evictedRequests: number;
}

/** A request whose rows are held until its terminal row says when it started and how it ended. */
interface OpenRequest {
  /** The OpenTelemetry context when its first row was written: the HTTP server span's, when one is active. */
  parent: Context;
  rows: CvdiagRow[];
  /** Wall-clock time of its last row, for `idleMs`. */
  lastRowAt: number;
}

/** Rows only a request writes: a trace without any is work outside a request. */
const REQUEST_BOUNDARIES = new Set<string>(['backend.request.ingress', 'backend.sse.first_byte', 'backend.sse.event', 'backend.response.complete', 'backend.sse.aborted']);

/** Rows kept past `maxRowsPerRequest`: they end the request and its calls. */
const ENDING_BOUNDARIES = new Set<string>(['backend.response.complete', 'backend.sse.aborted', 'backend.agent.exit', 'backend.llm.call.response']);

/** How many traces made into spans are remembered, to recognise their late rows. */
const CLOSED_REMEMBERED = 10_000;

/** An agent or LLM span whose end row may come after its request's terminal row. */
interface OpenWork {
  span: Span;
  /** To place the end row's time: epoch ms of the request's first row, and that row's mono_ns. */
  clock: RequestClock;
  openedAt: number;
}

interface RequestClock {
  epochMs: number;
  monoNs: number;
}

/** The logs API's SeverityNumber values for INFO and ERROR. */
const SEVERITY_INFO = 9;
const SEVERITY_ERROR = 17;

/**
 * A sink that turns each request's rows into OpenTelemetry spans (and,
 * optionally, log records), for teams that ship telemetry to a collector:
 *
 * - one span per request, a child of the active HTTP server span when
 *   `@opentelemetry/instrumentation-http` made one, else a root span, from
 *   ingress (the terminal's `total_duration_ms` back) to the terminal row;
 * - one span per `@AgentEntry` call (`invoke_agent <name>`) and per `@LlmCall`
 *   call (`chat <model>`, GenAI semantic conventions), nested as the rows'
 *   `parent_span_id` nest them, ended when their work ends (also after the
 *   request ended);
 * - first byte, heartbeats, stream events and errors as span events;
 * - the status from the terminal row (an abort is ERROR with its kind and bytes).
 *
 * A request's rows are held until its terminal row (bounded: see options), so
 * each span gets its real start time. LLM spans need the verbose tier (their
 * rows are verbose), stream events the debug tier. Nothing of OpenTelemetry
 * is loaded unless this entry point is imported.
 */
export class CvdiagOtelSink implements CvdiagSink {
  private readonly tracer: Tracer;
  private readonly logger: CvdiagOtelLogger | undefined;
  private readonly maxOpenRequests: number;
  private readonly maxRowsPerRequest: number;
  private readonly lateWorkMs: number;
  private readonly open = new Map<string, OpenRequest>();
  /** Agent and LLM spans still running, by the CVDIAG span id of their start row. */
  private readonly work = new Map<string, OpenWork>();
  private sweptAt = 0;
  readonly stats: CvdiagOtelStats = { requests: 0, spans: 0, droppedRows: 0, droppedRequests: 0, evictedRequests: 0 };
  /** Traces made into spans lately: their late rows only end agent and LLM spans. */
  private readonly closed = new Set<string>();
  private readonly idleMs: number;

  constructor(options: CvdiagOtelSinkOptions = {}) {
    this.tracer = options.tracer ?? trace.getTracer('nestjs-cvdiag');
    this.logger = options.logger;
    this.maxOpenRequests = options.maxOpenRequests ?? 10_000;
    this.maxRowsPerRequest = options.maxRowsPerRequest ?? 2_000;
    this.lateWorkMs = options.lateWorkMs ?? 60_000;
    this.idleMs = options.idleMs ?? 60_000;
  }

  write(_line: string, envelope: Readonly<CvdiagEnvelope>): boolean {
    const row = envelope as CvdiagRow;
    if (row.boundary === 'cvdiag.queue_dropped') return true;
    this.sweep();
    const request = this.open.get(row.trace_id);
    if (!request) {
      // A late row of a request already made into spans: it may end one of its agent or LLM spans.
      if (this.closed.has(row.trace_id) || row.boundary === 'backend.agent.exit' || row.boundary === 'backend.llm.call.response') return this.endLateWork(row);
      if (this.open.size >= this.maxOpenRequests) {
        // Full: the request held longest is made into spans as it is, so the newest are never refused.
        const [oldest, held] = this.open.entries().next().value!;
        this.close(oldest, held);
        this.stats.evictedRequests++;
      }
      this.open.set(row.trace_id, { parent: otelContext.active(), rows: [row], lastRowAt: Date.now() });
    } else if (request.rows.length >= this.maxRowsPerRequest && !ENDING_BOUNDARIES.has(row.boundary)) {
      this.stats.droppedRows++;
      return false;
    } else {
      request.rows.push(row);
      request.lastRowAt = Date.now();
    }
    if (row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted') this.close(row.trace_id, this.open.get(row.trace_id)!);
    return true;
  }

  /**
   * On shutdown: requests without a terminal row become spans ending now,
   * status ERROR ("no terminal row"), and open agent and LLM spans end. The
   * OpenTelemetry SDK's own flush is the app's (its `shutdown()`).
   */
  flush(): void {
    for (const [traceId, request] of [...this.open]) this.close(traceId, request);
    for (const { span } of this.work.values()) {
      span.setAttribute('cvdiag.unfinished', true);
      span.end();
    }
    this.work.clear();
  }

  /** A request's rows made into spans, and forgotten (but for its open work and its id, to recognise late rows). */
  private close(traceId: string, request: OpenRequest): void {
    this.open.delete(traceId);
    this.closed.add(traceId);
    if (this.closed.size > CLOSED_REMEMBERED) this.closed.delete(this.closed.values().next().value!);
    try {
      this.toSpans(request);
    } catch (error) {
      // The SDK or a span processor threw: this request's spans are lost (counted), the next ones are not.
      this.stats.droppedRequests++;
      void error;
    }
  }

  /**
   * Once a second at most: requests with no new row for `idleMs` (work outside
   * a request, a request whose terminal row will never come) are made into
   * spans; agent and LLM spans whose end row never came end after `lateWorkMs`.
   */
  private sweep(): void {
    const now = Date.now();
    if (now - this.sweptAt < 1_000) return;
    this.sweptAt = now;
    for (const [traceId, request] of this.open) if (now - request.lastRowAt >= this.idleMs) this.close(traceId, request);
    for (const [id, open] of this.work) {
      if (now - open.openedAt < this.lateWorkMs) continue;
      open.span.setAttribute('cvdiag.unfinished', true);
      open.span.end();
      this.work.delete(id);
    }
  }

  private toSpans(request: OpenRequest): void {
    const { rows } = request;
    const first = rows[0]!;
    const clock: RequestClock = { epochMs: Date.parse(first.ts), monoNs: first.mono_ns };
    const at = (row: CvdiagRow) => timeOf(row, clock);
    const terminal = rows.find((row) => row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted');
    const ingress = rows.find((row) => row.boundary === 'backend.request.ingress');
    // Work outside any request (a job, a script) has no request rows: its spans hang under one `cvdiag work` span.
    const isRequest = rows.some((row) => REQUEST_BOUNDARIES.has(row.boundary));
    const endMs = terminal ? at(terminal) : isRequest ? Date.now() : at(rows[rows.length - 1]!);
    // The request's own measure of its length when it has one (it counts from the request's arrival), else its first row.
    const startMs =
      terminal?.boundary === 'backend.response.complete'
        ? endMs - terminal.metadata.total_duration_ms
        : ingress
          ? at(ingress)
          : terminal?.duration_ms != null
            ? endMs - terminal.duration_ms
            : at(first);

    const method = terminalMethod(terminal) ?? (ingress?.boundary === 'backend.request.ingress' ? ingress.metadata.method : undefined);
    const route = terminalRoute(terminal) ?? (ingress?.boundary === 'backend.request.ingress' ? ingress.metadata.path : undefined);
    const hasHttpParent = trace.getSpan(request.parent)?.spanContext().traceId !== undefined;
    const attributes: Attributes = {
      'cvdiag.test_id': first.test_id,
      'cvdiag.trace_id': first.trace_id,
      'cvdiag.slug': first.slug,
      'cvdiag.demo': first.demo,
    };
    if (method) attributes['http.request.method'] = method;
    if (route) attributes['http.route'] = route;
    const requestSpan = this.tracer.startSpan(
      isRequest ? `${method ?? 'REQUEST'} ${route ?? ''}`.trim() : 'cvdiag work',
      { kind: isRequest && !hasHttpParent ? SpanKind.SERVER : SpanKind.INTERNAL, startTime: startMs, attributes },
      request.parent,
    );
    this.stats.requests++;
    this.stats.spans++;
    const requestContext = trace.setSpan(request.parent, requestSpan);
    /** OpenTelemetry spans by the CVDIAG span id of the row that opened them. */
    const spans = new Map<string, Span>();
    const parentOf = (row: CvdiagRow) => (row.parent_span_id ? spans.get(row.parent_span_id) : undefined) ?? requestSpan;

    for (const row of rows) {
      switch (row.boundary) {
        case 'backend.agent.enter': {
          const m = row.metadata;
          const span = this.startChild(parentOf(row), requestContext, `invoke_agent ${m.agent_name}`, SpanKind.INTERNAL, at(row), {
            'gen_ai.operation.name': 'invoke_agent',
            'gen_ai.agent.name': m.agent_name,
            ...(m.model_id ? { 'gen_ai.request.model': m.model_id } : {}),
          });
          spans.set(row.span_id, span);
          this.work.set(row.span_id, { span, clock, openedAt: Date.now() });
          break;
        }
        case 'backend.llm.call.start': {
          const m = row.metadata;
          const span = this.startChild(parentOf(row), requestContext, `chat${m.model ? ` ${m.model}` : ''}`, SpanKind.CLIENT, at(row), {
            'gen_ai.operation.name': 'chat',
            ...(m.provider ? { 'gen_ai.provider.name': m.provider } : {}),
            ...(m.model ? { 'gen_ai.request.model': m.model } : {}),
            'cvdiag.prompt_token_count_estimate': m.prompt_token_count_estimate,
          });
          spans.set(row.span_id, span);
          this.work.set(row.span_id, { span, clock, openedAt: Date.now() });
          break;
        }
        case 'backend.agent.exit':
        case 'backend.llm.call.response':
          this.endWork(row, clock);
          break;
        case 'backend.llm.call.heartbeat':
          parentOf(row).addEvent('cvdiag.heartbeat', { 'cvdiag.elapsed_ms_since_start': row.metadata.elapsed_ms_since_start }, at(row));
          break;
        case 'backend.sse.first_byte':
          requestSpan.addEvent('cvdiag.first_byte', { 'cvdiag.delta_ms_from_ingress': row.metadata.delta_ms_from_ingress }, at(row));
          break;
        case 'backend.sse.event':
          requestSpan.addEvent('cvdiag.sse.event', {
            'cvdiag.event_type': row.metadata.event_type,
            'cvdiag.sequence_num': row.metadata.sequence_num,
            'cvdiag.payload_size_bytes': row.metadata.payload_size_bytes,
          }, at(row));
          break;
        case 'backend.error.caught': {
          const m = row.metadata;
          const frame = m.stack_brief[0];
          parentOf(row).addEvent('exception', {
            'exception.type': m.exception_type,
            'exception.message': m.message_scrubbed,
            ...(frame ? { 'code.file.path': frame.file, ...(frame.line !== null ? { 'code.line.number': frame.line } : {}) } : {}),
          }, at(row));
          break;
        }
        default:
          break;
      }
    }

    if (terminal?.boundary === 'backend.response.complete') {
      const m = terminal.metadata;
      requestSpan.setAttributes({
        'http.response.status_code': m.http_status,
        'cvdiag.sse_event_count': m.sse_event_count,
        ...(m.last_event_type !== null ? { 'cvdiag.last_event_type': m.last_event_type } : {}),
      });
      if (m.http_status >= 500) requestSpan.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${m.http_status}` });
    } else if (terminal?.boundary === 'backend.sse.aborted') {
      const m = terminal.metadata;
      requestSpan.setAttributes({
        'cvdiag.termination_kind': m.termination_kind,
        'cvdiag.bytes_before_abort': m.bytes_before_abort,
        ...(m.last_event_type !== null ? { 'cvdiag.last_event_type': m.last_event_type } : {}),
      });
      requestSpan.setStatus({ code: SpanStatusCode.ERROR, message: `aborted: ${m.termination_kind} after ${m.bytes_before_abort} bytes` });
    } else if (isRequest) {
      requestSpan.setStatus({ code: SpanStatusCode.ERROR, message: 'no terminal row: the process stopped mid-request' });
    }
    requestSpan.end(endMs);
    if (this.logger) for (const row of rows) this.log(row, trace.setSpan(request.parent, spans.get(row.parent_span_id ?? '') ?? requestSpan), at(row));
  }

  private startChild(parent: Span, requestContext: Context, name: string, kind: SpanKind, startMs: number, attributes: Attributes): Span {
    this.stats.spans++;
    return this.tracer.startSpan(name, { kind, startTime: startMs, attributes }, trace.setSpan(requestContext, parent));
  }

  /** An agent or LLM span ends with its `agent.exit` / `llm.call.response` row. */
  private endWork(row: CvdiagRow, clock: RequestClock): boolean {
    const open = row.parent_span_id ? this.work.get(row.parent_span_id) : undefined;
    if (!open) return true;
    this.work.delete(row.parent_span_id!);
    const { span } = open;
    if (row.boundary === 'backend.llm.call.response') {
      const m = row.metadata;
      if (m.response_token_count !== null) span.setAttribute('gen_ai.usage.output_tokens', m.response_token_count);
      if (m.error_class) {
        span.setAttribute('error.type', m.error_class);
        if (m.error_class === 'Abandoned') span.setAttribute('cvdiag.abandoned', true);
        span.setStatus({ code: SpanStatusCode.ERROR, message: m.error_class });
      }
    } else if (row.boundary === 'backend.agent.exit' && row.metadata.terminal_outcome !== 'ok') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: row.metadata.terminal_outcome });
    }
    span.end(timeOf(row, clock));
    return true;
  }

  private endLateWork(row: CvdiagRow): boolean {
    const open = row.parent_span_id ? this.work.get(row.parent_span_id) : undefined;
    if (!open) return true;
    const ended = this.endWork(row, open.clock);
    if (this.logger) this.log(row, trace.setSpan(otelContext.active(), open.span), timeOf(row, open.clock));
    return ended;
  }

  private log(row: CvdiagRow, context: Context, timeMs: number): void {
    this.logger!.emit({
      timestamp: timeMs,
      severityNumber: row.outcome === 'err' || row.outcome === 'timeout' ? SEVERITY_ERROR : SEVERITY_INFO,
      severityText: row.outcome === 'err' || row.outcome === 'timeout' ? 'ERROR' : 'INFO',
      body: row.boundary,
      attributes: {
        'cvdiag.boundary': row.boundary,
        'cvdiag.outcome': row.outcome,
        'cvdiag.test_id': row.test_id,
        'cvdiag.trace_id': row.trace_id,
        'cvdiag.span_id': row.span_id,
        'cvdiag.metadata': JSON.stringify(row.metadata),
      },
      context,
    });
  }
}

/** A row's time as epoch ms (fractional): its request's first `ts`, plus the monotonic time since that row. */
function timeOf(row: CvdiagRow, clock: RequestClock): number {
  return clock.epochMs + (row.mono_ns - clock.monoNs) / 1e6;
}

function terminalMethod(terminal: CvdiagRow | undefined): string | undefined {
  return terminal?.boundary === 'backend.response.complete' || terminal?.boundary === 'backend.sse.aborted' ? terminal.metadata.method : undefined;
}

function terminalRoute(terminal: CvdiagRow | undefined): string | undefined {
  return terminal?.boundary === 'backend.response.complete' || terminal?.boundary === 'backend.sse.aborted' ? (terminal.metadata.route ?? undefined) : undefined;
}
