import type { IncomingMessage, ServerResponse } from 'node:http';
import { CorrelationContext, ContextIdentity } from '../context/correlation-context';
import { EDGE_HEADER_NAMES, pickEdgeHeaders } from '../correlation/edge-headers';
import type { RowSpec } from '../emitter/cvdiag-emitter';
import { tierAllows } from '../envelope/boundaries';
import { elapsedMs, monoMs } from '../envelope/ids';
import type { CvdiagRuntime } from '../runtime/cvdiag-runtime';
import { errorMetadata } from './error-metadata';
import { classifySseWrite } from './sse-chunk';

type TerminationKind = 'rst' | 'timeout' | 'chunk_error';

const RECORDED_HEADERS = new Set<string>([...EDGE_HEADER_NAMES, 'content-length']);

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

  private pendingIngress: RowSpec | null = null;
  private streamed = false;
  private manualEvents = false;
  /** The first write of a body of declared length, until a second piece makes it a stream. */
  private heldPiece?: { size: number; atMs: number };
  private firstByteWritten = false;
  private bytesWritten = 0;
  private eventCount = 0;
  private streamErrored = false;
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
   * A body chunk went to the raw response (`write` or the final `end`). A body
   * sent whole with `end(body)`, or in one write of a declared length, is not a
   * stream; the first write is held until a second piece shows it is one (some
   * servers send a whole JSON body as one `write()` and an empty `end()`).
   * SSE responses and bodies of unknown length are streams from their first byte.
   */
  onBodyWrite(chunk: unknown, encoding: unknown, viaEnd: boolean): void {
    const size = chunkByteLength(chunk, encoding);
    if (size === 0) return;
    this.bytesWritten += size;
    if (this.terminated) return;
    if (!this.streamed) {
      const held = this.heldPiece;
      if (held === undefined) {
        if (viaEnd) return;
        if (this.declaresWholeBody()) {
          this.heldPiece = { size, atMs: monoMs() };
          return;
        }
      }
      this.streamed = true;
      if (held) {
        this.heldPiece = undefined;
        this.ensureFirstByte(held.atMs);
        this.countPiece(undefined, held.size); // a held piece is never SSE (see declaresWholeBody)
      }
    }
    this.ensureFirstByte();
    this.countPiece(chunk, size);
  }

  /**
   * An event the app marked itself (CvdiagService.markStreamEvent). From then
   * on the app counts this response's events, and writes are no longer counted
   * as events, so nothing is counted twice.
   */
  markEvent(eventType: string, payloadSizeBytes: number): void {
    if (this.terminated) return;
    this.manualEvents = true;
    this.streamed = true;
    this.ensureFirstByte();
    this.streamEvent(eventType, payloadSizeBytes);
  }

  private countPiece(chunk: unknown, size: number): void {
    if (this.manualEvents) return;
    const eventType = this.sseRoute ? classifySseWrite(chunk) : 'chunk';
    if (eventType !== null) this.streamEvent(eventType, size);
  }

  /** Not an event stream, and its length is declared: written whole unless more pieces follow. */
  private declaresWholeBody(): boolean {
    if (this.sseRoute || this.responseHeader('content-length') === undefined) return false;
    const type = this.responseHeader('content-type');
    return !(typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream'));
  }

  private ensureFirstByte(atMs?: number): void {
    if (this.firstByteWritten) return;
    this.firstByteWritten = true;
    this.emit({
      boundary: 'backend.sse.first_byte',
      outcome: 'info',
      durationMs: null,
      metadata: { delta_ms_from_ingress: elapsedMs(this.startMs, atMs) },
      edgeHeaders: this.responseEdgeHeaders(),
      parentSpanId: this.rootSpanId,
    });
  }

  /** One event of the response stream; counted at every tier, written at debug. */
  private streamEvent(eventType: string, payloadSizeBytes: number): void {
    const sequence = this.eventCount++;
    if (!tierAllows(this.tier, 'backend.sse.event')) return;
    this.emit({
      boundary: 'backend.sse.event',
      outcome: 'info',
      durationMs: null,
      metadata: { event_type: eventType, payload_size_bytes: payloadSizeBytes, sequence_num: sequence },
      parentSpanId: this.rootSpanId,
    });
  }

  /**
   * An exception surfaced while serving this request; written once per exception
   * object. `breaksResponse`: it escaped to Nest (not one the app handled), so if
   * body bytes already went out, the stream ended in a `chunk_error`.
   */
  recordError(error: unknown, breaksResponse: boolean): void {
    if (breaksResponse && this.bytesWritten > 0) this.streamErrored = true;
    if (this.isDuplicate(error) || this.terminated) return;
    this.emit({
      boundary: 'backend.error.caught',
      outcome: 'err',
      durationMs: elapsedMs(this.startMs),
      metadata: errorMetadata(error),
      metadataScrubbed: true,
      parentSpanId: this.rootSpanId,
    });
  }

  /** Keeps the headers CVDIAG reads from a writeHead() call (an object, or a flat or paired array). */
  recordHeadHeaders(headers: unknown): void {
    if (typeof headers !== 'object' || headers === null) return;
    const entries: Array<[unknown, unknown]> = Array.isArray(headers)
      ? Array.isArray(headers[0])
        ? (headers as Array<[unknown, unknown]>)
        : headers.flatMap((value, index) => (index % 2 === 0 ? [[value, headers[index + 1]] as [unknown, unknown]] : []))
      : Object.entries(headers);
    for (const [name, value] of entries) {
      const key = String(name).toLowerCase();
      if (RECORDED_HEADERS.has(key)) (this.headHeaders ??= new Map()).set(key, value);
    }
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
    const response = this.rawResponse;
    const durationMs = elapsedMs(this.startMs);
    let row: RowSpec;
    if (finished && !this.streamErrored) {
      const status = response.statusCode;
      row = {
        boundary: 'backend.response.complete',
        outcome: status < 400 ? 'ok' : 'err',
        durationMs,
        metadata: {
          http_status: status,
          content_length: declaredContentLength(this.responseHeader('content-length')) ?? this.bytesWritten,
          total_duration_ms: durationMs,
          sse_event_count: this.eventCount,
        },
        edgeHeaders: this.responseEdgeHeaders(),
        parentSpanId: this.rootSpanId,
      };
    } else {
      const kind: TerminationKind = this.streamErrored ? 'chunk_error' : this.timedOut ? 'timeout' : 'rst';
      row = {
        boundary: 'backend.sse.aborted',
        outcome: kind === 'timeout' ? 'timeout' : 'err',
        durationMs,
        metadata: { termination_kind: kind, bytes_before_abort: this.bytesWritten },
        edgeHeaders: this.responseEdgeHeaders(),
        parentSpanId: this.rootSpanId,
      };
    }
    this.emit(row);
    this.terminated = true;
    this.clientLeft = !finished;
    for (const work of [...this.openWork]) work.onRequestEnded(this.clientLeft);
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

  private responseHeader(name: string): unknown {
    return this.headHeaders?.get(name) ?? this.rawResponse.getHeader(name);
  }

  private responseEdgeHeaders() {
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

function chunkByteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') {
    return Buffer.byteLength(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  }
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

function declaredContentLength(header: unknown): number | null {
  const value = typeof header === 'number' ? header : typeof header === 'string' ? Number(header) : NaN;
  return Number.isInteger(value) && value >= 0 ? value : null;
}
