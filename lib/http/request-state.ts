import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorrelationContext, ContextIdentity } from '../context/correlation-context.js';
import { pickEdgeHeaders } from '../correlation/edge-headers.js';
import type { RowSpec } from '../emitter/cvdiag-emitter.js';
import type { CvdiagEdgeHeaders } from '../envelope/envelope.types.js';
import { elapsedMs } from '../envelope/ids.js';
import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { BodyAccounting } from './body-accounting.js';
import { errorMetadata, inBandErrorMetadata } from './error-metadata.js';
import { pickHeadHeaders } from './response-headers.js';
import { routeTemplateOf } from './route-metadata.js';

type TerminationKind = 'rst' | 'timeout' | 'chunk_error';

/** Error events of one response written as `error.caught`, at most (the rest are still counted as events). */
const MAX_IN_BAND_ERRORS = 32;

/**
 * Everything CVDIAG tracks about one HTTP request, kept on the raw Node request
 * (see `request-registry.ts`) so the ingress listener, guard, interceptor and
 * filter all reach it on Express and Fastify alike.
 */
export class RequestState extends CorrelationContext {
  /** The route is @SkipCvdiag: nothing more is written for this request. */
  skipped = false;
  /** The interceptor already wrapped this request (it may be registered twice). */
  intercepted = false;
  /** The handler is an @Sse() route: writes are parsed as SSE events. */
  sseRoute = false;
  /** The request as Express or Fastify hands it to a matched route's pipeline (its template is read from it); undefined when no route matched. */
  routedRequest: unknown;

  /** Bytes, first byte and events of the response body. */
  readonly body = new BodyAccounting(this);

  private pendingIngress: RowSpec | null = null;
  private streamErrored = false;
  /** An exception escaped to Nest: an SSE `error` event after it is Nest reporting that same exception. */
  private escapedError = false;
  private inBandErrors = 0;
  private timedOut = false;
  private errorsSeen?: WeakSet<object>;
  private primitiveErrorSeen = false;
  private clientGone?: AbortController;
  private clientLeft = false;
  /** Edge headers and content-length passed to writeHead(), lowercase names. */
  private headHeaders?: Map<string, unknown>;

  constructor(
    runtime: CvdiagRuntime,
    identity: ContextIdentity,
    readonly rawRequest: IncomingMessage,
    readonly rawResponse: ServerResponse,
  ) {
    super(runtime, identity);
  }

  override asRequest(): RequestState {
    return this;
  }

  /**
   * Writes `request.ingress`, or holds it until the route is known when the app
   * uses @SkipCvdiag (a skipped route must not write a lone ingress row).
   */
  ingress(row: RowSpec, holdUntilRouteKnown: boolean): void {
    if (holdUntilRouteKnown) this.pendingIngress = row;
    else this.rootSpanId = super.emit(row);
  }

  /** Called once Nest matched the route (guard or interceptor). */
  routeResolved(skip: boolean): void {
    if (skip) {
      this.skipped = true;
      this.pendingIngress = null;
      return;
    }
    this.flushIngress();
  }

  override emit(row: RowSpec): string | null {
    if (this.skipped) return null;
    this.flushIngress();
    return super.emit(row);
  }

  /**
   * An exception surfaced while serving this request; written once per exception
   * object. `breaksResponse`: it escaped to Nest (not one the app handled), so if
   * body bytes already went out, the stream ended in a `chunk_error`.
   */
  recordError(error: unknown, breaksResponse: boolean): void {
    if (breaksResponse) this.escapedError = true;
    if (breaksResponse && this.body.bytesWritten > 0) this.streamErrored = true;
    if (this.isDuplicate(error) || this.terminated) return;
    this.emit({
      boundary: 'backend.error.caught',
      outcome: 'err',
      durationMs: elapsedMs(this.startMs),
      metadata: errorMetadata(error),
      metadataClean: true,
      parentSpanId: this.rootSpanId,
    });
  }

  /**
   * An error event the response carried (an AG-UI `RUN_ERROR`, an SSE `event:
   * error`): the app handled its failure in band, and the response ends
   * normally. An `error` event written after an exception escaped is Nest
   * reporting that exception, already written once.
   */
  recordInBandError(type: string, message: string): void {
    if (this.terminated || (type === 'error' && this.escapedError)) return;
    // A stream that reports errors event after event must not flood the sinks.
    if (++this.inBandErrors > MAX_IN_BAND_ERRORS) return;
    this.emit({
      boundary: 'backend.error.caught',
      outcome: 'err',
      durationMs: elapsedMs(this.startMs),
      metadata: inBandErrorMetadata(type, message),
      metadataClean: true,
      parentSpanId: this.rootSpanId,
    });
  }

  /** Keeps the headers CVDIAG reads from a writeHead() call (see response-headers.ts). */
  recordHeadHeaders(headers: unknown): void {
    this.headHeaders = pickHeadHeaders(headers, this.headHeaders);
  }

  markTimedOut(): void {
    this.timedOut = true;
  }

  /** Aborted when the client leaves before the response finished (created on first use). */
  get clientGoneSignal(): AbortSignal {
    this.clientGone ??= new AbortController();
    if (this.terminated && this.clientLeft && !this.clientGone.signal.aborted) this.clientGone.abort(new ClientGoneError());
    return this.clientGone.signal;
  }

  /**
   * The raw response finished (`finished`) or closed before finishing: write the
   * one terminal row and stop this request's timers.
   */
  terminate(finished: boolean): void {
    if (this.terminated) return;
    this.body.endOfBody(finished);
    const response = this.rawResponse;
    const durationMs = elapsedMs(this.startMs);
    const ending = { method: this.method(), route: routeTemplateOf(this.routedRequest), last_event_type: this.body.lastEventType };
    let row: RowSpec;
    if (finished && !this.streamErrored) {
      const status = response.statusCode;
      row = {
        boundary: 'backend.response.complete',
        outcome: status < 400 ? 'ok' : 'err',
        durationMs,
        metadata: {
          http_status: status,
          content_length: declaredContentLength(this.responseHeader('content-length')) ?? this.body.bytesWritten,
          total_duration_ms: durationMs,
          sse_event_count: this.body.eventCount,
          ...ending,
        },
        metadataClean: true, // numbers CVDIAG counted (Node made statusCode an integer in writeHead)
        edgeHeaders: this.responseEdgeHeaders(),
        parentSpanId: this.rootSpanId,
      };
    } else {
      const kind: TerminationKind = this.streamErrored ? 'chunk_error' : this.timedOut ? 'timeout' : 'rst';
      row = {
        boundary: 'backend.sse.aborted',
        outcome: kind === 'timeout' ? 'timeout' : 'err',
        durationMs,
        metadata: { termination_kind: kind, bytes_before_abort: this.body.bytesWritten, ...ending },
        metadataClean: true,
        edgeHeaders: this.responseEdgeHeaders(),
        parentSpanId: this.rootSpanId,
      };
    }
    this.emit(row);
    this.terminated = true;
    this.clientLeft = !finished;
    if (this.openWork.size > 0) for (const work of [...this.openWork]) work.onRequestEnded(this.clientLeft);
    if (this.clientLeft) this.clientGone?.abort(new ClientGoneError());
  }

  private flushIngress(): void {
    const pending = this.pendingIngress;
    if (pending === null) return;
    this.pendingIngress = null;
    this.rootSpanId = super.emit(pending);
  }

  private isDuplicate(error: unknown): boolean {
    if (typeof error === 'object' && error !== null) {
      this.errorsSeen ??= new WeakSet();
      if (this.errorsSeen.has(error)) return true;
      this.errorsSeen.add(error);
      return false;
    }
    if (this.primitiveErrorSeen) return true;
    this.primitiveErrorSeen = true;
    return false;
  }

  private method(): string {
    const method = this.rawRequest.method;
    return typeof method === 'string' ? method.slice(0, 32) : 'UNKNOWN';
  }

  /** A response header by lowercase name, including those only given to writeHead(). */
  responseHeader(name: string): unknown {
    return this.headHeaders?.get(name) ?? this.rawResponse.getHeader(name);
  }

  responseEdgeHeaders(): CvdiagEdgeHeaders {
    return pickEdgeHeaders((name) => this.responseHeader(name));
  }
}

/** The reason of `clientGoneSignal`: the response closed before it finished. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  constructor() {
    super('the client closed the connection before the response finished');
  }
}

function declaredContentLength(header: unknown): number | null {
  const value = typeof header === 'number' ? header : typeof header === 'string' ? Number(header) : NaN;
  return Number.isInteger(value) && value >= 0 ? value : null;
}
