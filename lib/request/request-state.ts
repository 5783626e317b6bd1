import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorrelationContext, CvdiagCorrelation } from '../context/correlation-context.js';
import { NULL_EDGE_HEADERS, pickEdgeHeaders } from '../correlation/edge-headers.js';
import type { RowSpec } from '../emitter/cvdiag-emitter.js';
import type { CvdiagEdgeHeaders, CvdiagTerminationKind } from '../envelope/envelope.types.js';
import { elapsedMs } from '../envelope/ids.js';
import { ResponseReport, ResponseWatch } from '../response/response-watch.js';
import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { CleanNames } from '../scrub/clean-names.js';
import { scrubPath } from '../scrub/scrub.js';
import { errorMetadata, inBandErrorMetadata } from './error-metadata.js';

/** Error events of one response written as `error.caught`, at most (the rest are still counted as events). */
const MAX_IN_BAND_ERRORS = 32;

/**
 * One HTTP request, from the ingress listener to its terminal row: the only
 * place that decides which of its rows are written (docs/contract.md sections
 * 3 and 7). Its response is watched by a ResponseWatch, which reports bytes,
 * events and the end here; the guard, interceptor, filter and CvdiagService
 * find it through request-lookup.ts and tell it what only they see (the
 * matched route, exceptions).
 */
export class RequestState extends CorrelationContext implements ResponseReport {
  /** The route is @SkipCvdiag: nothing more is written for this request. */
  skipped = false;
  /** The interceptor already wrapped this request (it may be registered twice). */
  intercepted = false;
  /** Counts and parses the response body; read for the terminal row. */
  readonly response: ResponseWatch;
  /** Each event is a row (debug tier): the watch types every event as it happens. */
  readonly typesEachEvent: boolean;

  /** The request as Express or Fastify hands it to a matched route's pipeline (its template is read from it); undefined when no route matched. */
  private routedRequest: unknown;
  private pendingIngress: RowSpec | null = null;
  private eventCount = 0;
  private streamErrored = false;
  /** An exception escaped to Nest: an SSE `error` event after it is Nest reporting that same exception. */
  private escapedError = false;
  private inBandErrors = 0;
  private wasTimedOut = false;
  private errorsSeen?: WeakSet<object>;
  private primitiveErrorSeen = false;
  private clientGone?: AbortController;
  private clientLeft = false;

  constructor(
    runtime: CvdiagRuntime,
    correlation: CvdiagCorrelation,
    private readonly rawRequest: IncomingMessage,
    rawResponse: ServerResponse,
  ) {
    super(runtime, correlation);
    this.typesEachEvent = this.writes('backend.sse.event');
    this.response = new ResponseWatch(this, runtime.faults, rawRequest, rawResponse);
  }

  override asRequest(): RequestState {
    return this;
  }

  /**
   * `backend.request.ingress` (verbose tier and up), built only when it is
   * written. Held until the route is known when the app has @SkipCvdiag routes
   * (a skipped route must not write a lone ingress row).
   */
  start(path: string): void {
    if (!this.writes('backend.request.ingress')) return;
    const headers = this.rawRequest.headers;
    const row: RowSpec = {
      boundary: 'backend.request.ingress',
      outcome: 'info',
      durationMs: null,
      metadata: { method: this.method(), path: scrubPath(path), content_length: parseContentLength(headers['content-length']) },
      metadataClean: true,
      edgeHeaders: pickEdgeHeaders((name) => headers[name]),
      parentSpanId: null,
    };
    if (this.runtime.routesMaySkip) this.pendingIngress = row;
    else this.rootSpanId = super.emit(row);
  }

  /**
   * Nest matched a route (guard or interceptor): `adapterRequest` is the request
   * its pipeline got (the route template is read from it at the end).
   */
  routeMatched(adapterRequest: unknown, skip: boolean): void {
    this.routedRequest ??= adapterRequest;
    if (skip) {
      this.skipped = true;
      this.pendingIngress = null;
      return;
    }
    this.flushIngress();
  }

  /**
   * An exception surfaced while serving this request; written once per exception
   * object. `breaksResponse`: it escaped to Nest (not one the app handled), so if
   * body bytes already went out, the stream ended in a `chunk_error`.
   */
  recordError(error: unknown, breaksResponse: boolean): void {
    if (breaksResponse) this.escapedError = true;
    if (breaksResponse && this.response.bytesWritten > 0) this.streamErrored = true;
    if (this.isDuplicate(error) || this.terminated) return;
    this.write({
      boundary: 'backend.error.caught',
      outcome: 'err',
      durationMs: elapsedMs(this.startMs),
      metadata: errorMetadata(error),
      metadataClean: true,
      parentSpanId: this.rootSpanId,
    });
  }

  /** Aborted when the client leaves before the response finished (created on first use). */
  get clientGoneSignal(): AbortSignal {
    this.clientGone ??= new AbortController();
    if (this.terminated && this.clientLeft && !this.clientGone.signal.aborted) this.clientGone.abort(new ClientGoneError());
    return this.clientGone.signal;
  }

  // ResponseReport: what the response watch saw.

  firstByte(atMs: number | undefined): void {
    if (this.terminated || !this.writes('backend.sse.first_byte')) return;
    this.write({
      boundary: 'backend.sse.first_byte',
      outcome: 'info',
      durationMs: null,
      metadata: { delta_ms_from_ingress: elapsedMs(this.startMs, atMs) },
      metadataClean: true,
      edgeHeaders: this.responseEdgeHeaders(),
      parentSpanId: this.rootSpanId,
    });
  }

  /** One event of the response stream: counted at every tier, written at debug (the terminal reads the last one's type from the watch). */
  event(rawType: string | undefined, bytes: number): void {
    if (this.terminated) return;
    const sequence = this.eventCount++;
    if (!this.typesEachEvent || rawType === undefined) return;
    const eventType = cleanEventType(rawType);
    this.write({
      boundary: 'backend.sse.event',
      outcome: 'info',
      durationMs: null,
      metadata: { event_type: eventType, payload_size_bytes: bytes, sequence_num: sequence },
      metadataClean: true, // a scrubbed, bounded name and two counts
      parentSpanId: this.rootSpanId,
    });
  }

  /**
   * An error event the response carried: the app handled its failure in band,
   * and the response ends normally. An `error` event written after an exception
   * escaped is Nest reporting that exception, already written once.
   */
  inBandError(type: string, message: string): void {
    if (this.terminated || (type === 'error' && this.escapedError)) return;
    // A stream that reports errors event after event must not flood the sinks.
    if (++this.inBandErrors > MAX_IN_BAND_ERRORS) return;
    this.write({
      boundary: 'backend.error.caught',
      outcome: 'err',
      durationMs: elapsedMs(this.startMs),
      metadata: inBandErrorMetadata(type, message),
      metadataClean: true,
      parentSpanId: this.rootSpanId,
    });
  }

  timedOut(): void {
    this.wasTimedOut = true;
  }

  /** The one terminal row; then this request's work stops its timers (and is abandoned if the client left). */
  ended(finished: boolean): void {
    if (this.terminated) return;
    const durationMs = elapsedMs(this.startMs);
    const method = this.method();
    const route = routeTemplateOf(this.routedRequest);
    const lastType = this.response.lastEventType();
    const lastEventType = lastType === null ? null : cleanEventType(lastType);
    const bytes = this.response.bytesWritten;
    let row: RowSpec;
    if (finished && !this.streamErrored) {
      const status = this.response.response.statusCode;
      row = {
        boundary: 'backend.response.complete',
        outcome: status < 400 ? 'ok' : 'err',
        durationMs,
        metadata: {
          http_status: status,
          content_length: declaredContentLength(this.response.header('content-length')) ?? bytes,
          total_duration_ms: durationMs,
          sse_event_count: this.eventCount,
          method,
          route,
          last_event_type: lastEventType,
        },
        metadataClean: true, // numbers CVDIAG counted (Node made statusCode an integer in writeHead)
        edgeHeaders: this.responseEdgeHeaders(),
        parentSpanId: this.rootSpanId,
      };
    } else {
      const kind: CvdiagTerminationKind = this.streamErrored ? 'chunk_error' : this.wasTimedOut ? 'timeout' : 'rst';
      row = {
        boundary: 'backend.sse.aborted',
        outcome: kind === 'timeout' ? 'timeout' : 'err',
        durationMs,
        metadata: { termination_kind: kind, bytes_before_abort: bytes, method, route, last_event_type: lastEventType },
        metadataClean: true,
        edgeHeaders: this.responseEdgeHeaders(),
        parentSpanId: this.rootSpanId,
      };
    }
    this.write(row);
    this.terminated = true;
    this.clientLeft = !finished;
    if (this.openWork.size > 0) for (const work of [...this.openWork]) work.onRequestEnded(this.clientLeft);
    if (this.clientLeft) this.clientGone?.abort(new ClientGoneError());
  }

  /**
   * Every row of this request goes out here: none once the route is skipped,
   * and a held ingress row first. Callers asked `writes()` for rows below the
   * default tier (default-tier rows are written at every tier).
   */
  private write(row: RowSpec): void {
    if (this.skipped) return;
    this.flushIngress();
    super.emit(row);
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
    // Node's parser allows only method tokens, but requests begun by an enhancer (serverless adapters) may carry anything.
    return typeof method === 'string' ? methods.clean(method) : 'UNKNOWN';
  }

  private responseEdgeHeaders(): CvdiagEdgeHeaders {
    return this.response.hasEdgeHeaders() ? pickEdgeHeaders((name) => this.response.header(name)) : NULL_EDGE_HEADERS;
  }
}

/** The reason of `clientGoneSignal`: the response closed before it finished. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  constructor() {
    super('the client closed the connection before the response finished');
  }
}

/** Event names recur (AG-UI has about twenty), as do route templates: each is cleaned once. */
const eventTypes = new CleanNames(64);
const methods = new CleanNames(32);
const routeTemplates = new CleanNames(256);

/** An event name as a row carries it: scrubbed whole, then cut (a cut first could hide part of a secret). */
function cleanEventType(raw: string): string {
  return raw === 'chunk' || raw === 'message' ? raw : eventTypes.clean(raw);
}

/**
 * The matched route template with any global prefix (`/api/agent/:id`), read
 * from the request as Express (`req.route.path`) or Fastify
 * (`request.routeOptions.url`) hands it to enhancers; null when no route
 * matched (a 404). Scrubbed like every string of a row, then bounded.
 */
function routeTemplateOf(request: unknown): string | null {
  try {
    if (typeof request !== 'object' || request === null) return null;
    const fastify = (request as { routeOptions?: { url?: unknown } }).routeOptions?.url;
    const express = (request as { route?: { path?: unknown } }).route?.path;
    const template = typeof fastify === 'string' ? fastify : typeof express === 'string' ? express : null;
    return template === null ? null : routeTemplates.clean(template);
  } catch {
    return null;
  }
}

function parseContentLength(header: unknown): number | null {
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(header.trim())) return null;
  return Number(header.trim());
}

function declaredContentLength(header: unknown): number | null {
  const value = typeof header === 'number' ? header : typeof header === 'string' ? Number(header) : NaN;
  return Number.isInteger(value) && value >= 0 ? value : null;
}
