import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { EDGE_HEADER_NAMES } from '../correlation/edge-headers.js';
import type { FaultLog } from '../emitter/fault-log.js';
import { monoMs } from '../envelope/ids.js';
import { NODE_OBJECT_KEYS } from '../process-globals.js';
import { StreamEvent, StreamEventParser, StreamFormat, streamFormatOf } from './stream-events.js';

/**
 * What a watched response tells its request, in the order it happens. The
 * watch only counts and parses; the request (RequestState) decides the rows.
 */
export interface ResponseReport {
  /** The body's first byte went out; `atMs`: when, if that was before this call (a held first piece). */
  firstByte(atMs: number | undefined): void;
  /**
   * Whether every event's type is needed as the event happens (a row per
   * event); if not, events may be reported untyped, and only the last one's
   * type is read, from `lastEventType()`, at the end. Fixed for the request.
   */
  readonly typesEachEvent: boolean;
  /** One event of a streamed body, with the name as written (not yet scrubbed; undefined: not typed, see typesEachEvent) and its size in bytes. */
  event(rawType: string | undefined, bytes: number): void;
  /** An error event the body carried (an AG-UI `RUN_ERROR`, an SSE `event: error`). */
  inBandError(type: string, message: string): void;
  /** The server's socket timeout fired while this response was open. */
  timedOut(): void;
  /** The response finished (`finished`: every byte handed to the OS) or closed before that. Called once. */
  ended(finished: boolean): void;
}

type BodyMethod = (...args: unknown[]) => unknown;

const WATCH = NODE_OBJECT_KEYS.observation;
type WatchedResponse = ServerResponse & { [WATCH]: ResponseWatch };

const EDGE_HEADERS = new Set<string>(EDGE_HEADER_NAMES);
/** The response headers CVDIAG reads: the nine edge headers, content-length and content-type (the stream's format). */
const RECORDED_HEADERS = new Set<string>([...EDGE_HEADER_NAMES, 'content-length', 'content-type']);

/**
 * Watches one raw Node response, so Express, Fastify and `@Res()` handlers are
 * measured the same way: `write`, `end` and `writeHead` are replaced on this one
 * response object (own properties, nothing global) by functions shared by all
 * responses, which always forward their arguments and return value unchanged;
 * 'finish' and 'close' (and its socket's 'timeout' and 'close') end it.
 *
 * Its body is counted and, when it is a stream, cut into events
 * (docs/contract.md section 7): a body sent whole with `end(body)`, or in one
 * write of a declared length, is not a stream; the first write is held until a
 * second piece shows it is one (some servers send a whole JSON body as one
 * `write()` and an empty `end()`). SSE responses and bodies of unknown length
 * are streams from their first byte.
 */
export class ResponseWatch {
  /** Body bytes handed to the response, counted even after the end. */
  bytesWritten = 0;
  /** The handler is an @Sse() route (set by the interceptor): writes are SSE events whatever the content type. */
  sseRoute = false;
  private done = false;
  private streamed = false;
  private firstByteSeen = false;
  /** Cuts the body into events; made at the first streamed piece, when the content type is known. */
  private parser?: StreamEventParser;
  /** markEvent() names this response's events (raw chunk streams only). */
  private manualEvents = false;
  /** The last event's type as written: null before any; undefined when the parser left it untyped (worked out on request). */
  private lastType: string | null | undefined = null;
  /** A raw chunk's event, held until the next write, a mark or the end: a mark just after its write names it. */
  private pendingChunk: number | null = null;
  /** The first write of a body of declared length, until a second piece makes it a stream. */
  private heldPiece?: { size: number; atMs: number };
  /** Recorded headers passed to writeHead(), lowercase names: sent without being stored, so getHeader() cannot see them. */
  private headHeaders?: Map<string, unknown>;
  /** The response's own methods, which the replacements call. */
  readonly original: Readonly<Record<'write' | 'end' | 'writeHead', BodyMethod>>;
  /** The open responses of this response's socket, while it is one of them. */
  private socketWatches: Set<ResponseWatch> | undefined;

  constructor(
    private readonly report: ResponseReport,
    readonly faults: FaultLog,
    request: IncomingMessage,
    readonly response: ServerResponse,
  ) {
    const target = response as unknown as { [WATCH]: ResponseWatch } & Record<'write' | 'end' | 'writeHead', BodyMethod>;
    this.original = { write: target.write, end: target.end, writeHead: target.writeHead };
    target[WATCH] = this;
    target.write = watchedWrite as BodyMethod;
    target.end = watchedEnd as BodyMethod;
    target.writeHead = watchedWriteHead as BodyMethod;
    response.on('finish', onFinish);
    response.on('close', onClose);
    this.socketWatches = watchSocket(request.socket, this);
  }

  /** The type of the body's last event as written (not yet scrubbed), null when it had none. Never throws. */
  lastEventType(): string | null {
    if (this.lastType !== undefined) return this.lastType;
    try {
      return this.parser!.typeOfLast();
    } catch (error) {
      this.faults.warn('event-type', 'the type of the last stream event could not be read', error);
      return null;
    }
  }

  /**
   * Whether the response has any of the nine edge headers (set, or given to
   * writeHead()): most have none, and then none is looked up one by one.
   * True when the names cannot be read (the lookups then decide).
   */
  hasEdgeHeaders(): boolean {
    try {
      if (this.headHeaders !== undefined) for (const name of this.headHeaders.keys()) if (EDGE_HEADERS.has(name)) return true;
      for (const name of this.response.getHeaderNames()) if (EDGE_HEADERS.has(name)) return true;
      return false;
    } catch {
      return true;
    }
  }

  /** A response header by lowercase name, including those only given to writeHead(). */
  header(name: string): unknown {
    return this.headHeaders?.get(name) ?? this.response.getHeader(name);
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
    if (this.done || this.formatNow() !== 'chunks') return;
    this.manualEvents = true;
    this.pendingChunk = null;
    this.streamed = true;
    this.ensureFirstByte(undefined);
    this.lastType = eventType;
    this.report.event(eventType, payloadSizeBytes);
  }

  /** The response finished or closed: count what is still held, then tell the request. Once. */
  finish(finished: boolean): void {
    if (this.done) return;
    this.done = true;
    this.response.removeListener('finish', onFinish);
    this.response.removeListener('close', onClose);
    this.socketWatches?.delete(this);
    this.socketWatches = undefined;
    try {
      this.commitPendingChunk();
      // A last NDJSON line without its newline is an event only when the body finished.
      if (finished) this.parser?.end((event) => this.onEvent(event));
    } catch (error) {
      this.faults.warn('write', 'the end of a body could not be observed', error);
    }
    try {
      this.report.ended(finished);
    } catch (error) {
      this.faults.warn('terminal', 'the terminal row of a request could not be written', error);
    }
  }

  timedOut(): void {
    this.report.timedOut();
  }

  /** A body chunk went to the raw response (`write`, or the final `end`). */
  onBodyWrite(chunk: unknown, encoding: unknown, viaEnd: boolean): void {
    const size = chunkByteLength(chunk, encoding);
    if (size === 0) return;
    this.bytesWritten += size;
    if (this.done) return;
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
    this.ensureFirstByte(undefined);
    this.countPiece(chunk, encoding, size);
  }

  onWriteHead(reasonOrHeaders: unknown, headers: unknown): void {
    this.headHeaders = pickHeadHeaders(typeof reasonOrHeaders === 'object' ? reasonOrHeaders : headers, this.headHeaders);
  }

  private countPiece(chunk: unknown, encoding: unknown, size: number): void {
    const parser = (this.parser ??= new StreamEventParser(this.formatNow(), this.report.typesEachEvent));
    if (parser.format === 'chunks') {
      if (this.manualEvents) return;
      this.commitPendingChunk();
      this.pendingChunk = size;
      return;
    }
    parser.write(chunk, encoding, size, (this.eventListener ??= (event) => this.onEvent(event)));
  }

  private formatNow(): StreamFormat {
    return this.parser?.format ?? streamFormatOf(this.header('content-type'), this.sseRoute);
  }

  private commitPendingChunk(): void {
    if (this.pendingChunk === null) return;
    const size = this.pendingChunk;
    this.pendingChunk = null;
    this.lastType = 'chunk';
    this.report.event('chunk', size);
  }

  /** The parser's listener, made once for a response that has parsed events (not for every response). */
  private eventListener?: (event: StreamEvent) => void;

  private onEvent(event: StreamEvent): void {
    this.lastType = event.type;
    this.report.event(event.type, event.bytes);
    if (event.error) this.report.inBandError(event.error.type, event.error.message);
    if (event.cut) this.faults.warn('event-cut', `a stream event reached ${event.bytes} bytes without ending; it was counted as one event and the rest of it skipped`);
  }

  /** Not an event stream, and its length is declared: written whole unless more pieces follow. */
  private declaresWholeBody(): boolean {
    if (this.sseRoute || this.header('content-length') === undefined) return false;
    return streamFormatOf(this.header('content-type'), false) === 'chunks';
  }

  private ensureFirstByte(atMs: number | undefined): void {
    if (this.firstByteSeen) return;
    this.firstByteSeen = true;
    this.report.firstByte(atMs);
  }
}

function watchedWrite(this: WatchedResponse, chunk?: unknown, encoding?: unknown): unknown {
  watchChunk(this[WATCH], chunk, encoding, false);
  // `arguments`, not a rest parameter: forwards exactly what the caller passed, without an array copy.
  return this[WATCH].original.write.apply(this, arguments as unknown as unknown[]);
}

function watchedEnd(this: WatchedResponse, chunk?: unknown, encoding?: unknown): unknown {
  if (typeof chunk !== 'function') watchChunk(this[WATCH], chunk, encoding, true);
  return this[WATCH].original.end.apply(this, arguments as unknown as unknown[]);
}

/** Headers given to writeHead() (Fastify passes all of them there) are sent without being stored: keep the ones CVDIAG reads. */
function watchedWriteHead(this: WatchedResponse, _status?: unknown, reasonOrHeaders?: unknown, headers?: unknown): unknown {
  const watch = this[WATCH];
  try {
    watch.onWriteHead(reasonOrHeaders, headers);
  } catch (error) {
    watch.faults.warn('write-head', 'response headers could not be read', error);
  }
  return watch.original.writeHead.apply(this, arguments as unknown as unknown[]);
}

function watchChunk(watch: ResponseWatch, chunk: unknown, encoding: unknown, viaEnd: boolean): void {
  if (chunk === undefined || chunk === null) return;
  try {
    watch.onBodyWrite(chunk, encoding, viaEnd);
  } catch (error) {
    watch.faults.warn('write', 'a body write could not be observed', error);
  }
}

// 'finish' means every byte was handed to the OS, unless the response was
// destroyed first: Node still finishes an end() called after destroy() (Nest
// does that when it drops a client that stopped reading). A 'close' without a
// 'finish' before it is a response that never finished.
function onFinish(this: WatchedResponse): void {
  this[WATCH].finish(!this.destroyed);
}

function onClose(this: WatchedResponse): void {
  this[WATCH].finish(false);
}

const SOCKET_WATCHES = NODE_OBJECT_KEYS.socketRequests;
type WatchedSocket = Socket & { [SOCKET_WATCHES]?: Set<ResponseWatch> };

/**
 * The responses of one socket (pipelining puts several on it), with one pair
 * of listeners per socket however many it carries:
 * - 'timeout': the server's socket timeout fired, so they end as timed out (a
 *   socket listener does not change Node's handling of the timeout, which
 *   looks only at the request, response and server);
 * - 'close': a request queued behind another response has a response with no
 *   socket yet, which never emits 'finish' or 'close' when the connection dies
 *   (nor does its request when its body was already read): every response the
 *   socket still carries ends, finished only if it did.
 */
function watchSocket(socket: Socket | null | undefined, watch: ResponseWatch): Set<ResponseWatch> | undefined {
  const watched = socket as WatchedSocket | null | undefined;
  if (!watched || typeof watched.on !== 'function') return undefined;
  let watches = watched[SOCKET_WATCHES];
  if (!watches) {
    const set = new Set<ResponseWatch>();
    watches = set;
    watched[SOCKET_WATCHES] = set;
    watched.on('timeout', () => {
      for (const open of set) open.timedOut();
    });
    watched.once('close', () => {
      for (const open of [...set]) {
        const response = open.response;
        open.finish(response.writableFinished && !response.destroyed);
      }
    });
  }
  watches.add(watch);
  return watches;
}

/**
 * The recorded headers of a writeHead() call, added to `into`. Accepts an
 * object, a flat `[name, value, …]` array or an array of pairs; names match in any case.
 */
function pickHeadHeaders(headers: unknown, into: Map<string, unknown> | undefined): Map<string, unknown> | undefined {
  if (typeof headers !== 'object' || headers === null) return into;
  const entries: Array<[unknown, unknown]> = Array.isArray(headers)
    ? Array.isArray(headers[0])
      ? (headers as Array<[unknown, unknown]>)
      : headers.flatMap((value, index) => (index % 2 === 0 ? [[value, headers[index + 1]] as [unknown, unknown]] : []))
    : Object.entries(headers);
  let picked = into;
  for (const [name, value] of entries) {
    const key = String(name).toLowerCase();
    if (RECORDED_HEADERS.has(key)) (picked ??= new Map()).set(key, value);
  }
  return picked;
}

function chunkByteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') {
    return Buffer.byteLength(chunk, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  }
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}
