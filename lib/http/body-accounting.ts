import { tierAllows } from '../envelope/boundaries.js';
import { elapsedMs, monoMs } from '../envelope/ids.js';
import type { RequestState } from './request-state.js';
import { classifySseWrite } from './sse-chunk.js';

/**
 * How one response's body went out (SPEC section 7): bytes written, whether it
 * is a stream, its first byte and its events. Counters advance at every tier;
 * rows are written where the request's tier includes them.
 */
export class BodyAccounting {
  bytesWritten = 0;
  eventCount = 0;
  private streamed = false;
  private manualEvents = false;
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
    if (this.request.terminated) return;
    this.manualEvents = true;
    this.streamed = true;
    this.ensureFirstByte();
    this.streamEvent(eventType, payloadSizeBytes);
  }

  private countPiece(chunk: unknown, size: number): void {
    if (this.manualEvents) return;
    const eventType = this.request.sseRoute ? classifySseWrite(chunk) : 'chunk';
    if (eventType !== null) this.streamEvent(eventType, size);
  }

  /** Not an event stream, and its length is declared: written whole unless more pieces follow. */
  private declaresWholeBody(): boolean {
    if (this.request.sseRoute || this.request.responseHeader('content-length') === undefined) return false;
    const type = this.request.responseHeader('content-type');
    return !(typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream'));
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
  private streamEvent(eventType: string, payloadSizeBytes: number): void {
    const sequence = this.eventCount++;
    if (!tierAllows(this.request.tier, 'backend.sse.event')) return;
    this.request.emit({
      boundary: 'backend.sse.event',
      outcome: 'info',
      durationMs: null,
      metadata: { event_type: eventType, payload_size_bytes: payloadSizeBytes, sequence_num: sequence },
      parentSpanId: this.request.rootSpanId,
    });
  }
}

function chunkByteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') {
    return Buffer.byteLength(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  }
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
