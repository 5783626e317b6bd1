import { tierAllows } from '../envelope/boundaries.js';
import { elapsedMs, monoMs } from '../envelope/ids.js';
import { bytesOfWrite, StreamEvent, StreamEventParser, streamFormatOf } from '../response/stream-events.js';
import { scrub } from '../scrub/scrub.js';
import type { RequestState } from './request-state.js';

/**
 * How one response's body went out (docs/contract.md section 7): bytes written, whether it
 * is a stream, its first byte and its events. Counters advance at every tier;
 * rows are written where the request's tier includes them.
 */
export class BodyAccounting {
  bytesWritten = 0;
  eventCount = 0;
  /** The `event_type` of the last event, for the terminal row. */
  lastEventType: string | null = null;
  private streamed = false;
  /** Cuts the body into events; made at the first streamed piece, when the content type is known. */
  private parser?: StreamEventParser;
  /** markStreamEvent() names this response's events (raw chunk streams only). */
  private manualEvents = false;
  /** A raw chunk's event, held until the next write, a mark or the end: a mark just after its write names it. */
  private pendingChunk: number | null = null;
  /** The first write of a body of declared length, until a second piece makes it a stream. */
  private heldPiece?: { size: number; atMs: number };
  private firstByteWritten = false;

  constructor(private readonly request: RequestState) {}

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
    if (this.request.terminated) return;
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
        this.countPiece(undefined, encoding, held.size); // a held piece is a raw chunk (see declaresWholeBody)
      }
    }
    this.ensureFirstByte();
    this.countPiece(chunk, encoding, size);
  }

  /** The body ended: count what is still held (a last NDJSON line without newline only when the body finished). */
  endOfBody(finished: boolean): void {
    this.commitPendingChunk();
    if (finished) this.parser?.end((event) => this.onEvent(event));
  }

  /**
   * An event the app marked itself (CvdiagService.markStreamEvent), for streams
   * whose writes are not their events and that CVDIAG cannot parse (neither SSE
   * nor NDJSON). From the first mark on, the app names this response's events
   * and writes are no longer counted, before or after their mark: a write's
   * event is held until the next write, so a mark right after it replaces it.
   * SSE and NDJSON responses are parsed into events; marks on them are ignored.
   */
  markEvent(eventType: string, payloadSizeBytes: number): void {
    if (this.request.terminated || this.formatNow() !== 'chunks') return;
    this.manualEvents = true;
    this.pendingChunk = null;
    this.streamed = true;
    this.ensureFirstByte();
    this.streamEvent(eventType, payloadSizeBytes);
  }

  private countPiece(chunk: unknown, encoding: unknown, size: number): void {
    const parser = (this.parser ??= new StreamEventParser(this.formatNow()));
    if (parser.format === 'chunks') {
      if (this.manualEvents) return;
      this.commitPendingChunk();
      this.pendingChunk = size;
      return;
    }
    const bytes = bytesOfWrite(chunk, encoding);
    if (bytes !== undefined) parser.feed(bytes, this.onEvent);
  }

  private formatNow() {
    return this.parser?.format ?? streamFormatOf(this.request.responseHeader('content-type'), this.request.sseRoute);
  }

  private commitPendingChunk(): void {
    if (this.pendingChunk === null) return;
    const size = this.pendingChunk;
    this.pendingChunk = null;
    this.streamEvent('chunk', size);
  }

  /** A parsed event (an arrow function: the parser gets it as is, with no closure per write). */
  private readonly onEvent = (event: StreamEvent): void => {
    this.streamEvent(event.type, event.bytes);
    if (event.error) this.request.recordInBandError(event.error.type, event.error.message);
    if (event.cut) this.request.runtime.faults.warn('event-cut', `a stream event reached ${event.bytes} bytes without ending; it was counted as one event and the rest of it skipped`);
  };

  /** Not an event stream, and its length is declared: written whole unless more pieces follow. */
  private declaresWholeBody(): boolean {
    if (this.request.sseRoute || this.request.responseHeader('content-length') === undefined) return false;
    return streamFormatOf(this.request.responseHeader('content-type'), false) === 'chunks';
  }

  private ensureFirstByte(atMs?: number): void {
    if (this.firstByteWritten) return;
    this.firstByteWritten = true;
    this.request.emit({
      boundary: 'backend.sse.first_byte',
      outcome: 'info',
      durationMs: null,
      metadata: { delta_ms_from_ingress: elapsedMs(this.request.startMs, atMs) },
      edgeHeaders: this.request.responseEdgeHeaders(),
      parentSpanId: this.request.rootSpanId,
    });
  }

  /** One event of the response stream; counted at every tier, written at debug. */
  private streamEvent(rawType: string, payloadSizeBytes: number): void {
    const sequence = this.eventCount++;
    // Scrubbed whole, then cut: a cut first could leave part of a secret unrecognised.
    const eventType = cleanEventType(rawType);
    this.lastEventType = eventType;
    if (!tierAllows(this.request.tier, 'backend.sse.event')) return;
    this.request.emit({
      boundary: 'backend.sse.event',
      outcome: 'info',
      durationMs: null,
      metadata: { event_type: eventType, payload_size_bytes: payloadSizeBytes, sequence_num: sequence },
      metadataClean: true, // a scrubbed, bounded name and two counts
      parentSpanId: this.request.rootSpanId,
    });
  }
}

const MAX_EVENT_TYPE_CHARS = 64;
/** Event names recur (AG-UI has about twenty): each is scrubbed once. */
const cleanTypes = new Map<string, string>();
const MAX_CACHED_TYPES = 256;

/** An event name as a row may carry it: scrubbed whole, then cut (a cut first could hide part of a secret). */
function cleanEventType(raw: string): string {
  if (raw === 'chunk' || raw === 'message') return raw;
  const cached = cleanTypes.get(raw);
  if (cached !== undefined) return cached;
  const clean = scrub(raw).slice(0, MAX_EVENT_TYPE_CHARS);
  if (raw.length <= 4 * MAX_EVENT_TYPE_CHARS) {
    if (cleanTypes.size >= MAX_CACHED_TYPES) cleanTypes.clear();
    cleanTypes.set(raw, clean);
  }
  return clean;
}

function chunkByteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') {
    return Buffer.byteLength(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  }
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
