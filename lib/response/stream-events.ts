import { readJsonHead } from './json-head.js';

/**
 * How a streamed body is cut into events: Server-Sent Events (one event per
 * blank-line-terminated block with data), newline-delimited JSON (one event
 * per line), or anything else (one event per write).
 */
export type StreamFormat = 'sse' | 'ndjson' | 'chunks';

/** One event as written: its type, its bytes, and for error events what they say. */
export interface StreamEvent {
  /**
   * The `event:` name; else the JSON `type` (AG-UI); `chat.completion.chunk`;
   * `done` for `[DONE]`; else `message` (`chunk` for raw writes). Undefined when
   * the parser does not type every event and left this one for later: only the
   * last event's type is read then, by `typeOfLast()`.
   */
  type: string | undefined;
  /** Bytes of the event on the wire, its field lines and the blank line ending it included. */
  bytes: number;
  /** Set for an in-band error (an AG-UI `RUN_ERROR`, an SSE `event: error`): its type, and its message (else its data text). */
  error?: { type: string; message: string };
  /** The event reached MAX_EVENT_BYTES without ending: counted here, and the rest of it skipped. */
  cut?: boolean;
}

export type EventListener = (event: StreamEvent) => void;

/** An event longer than this, still unterminated, is counted and cut; memory never grows with it. */
export const MAX_EVENT_BYTES = 1024 * 1024;
/** Bytes of a line kept for parsing (field name plus the start of its value). */
const LINE_HEAD_BYTES = 4096;
/** How much of an event's data is read to type it and to read an error message: this many bytes of a line, and characters in all. */
const DATA_HEAD_CHARS = 2048;
/** A longer write is always parsed (a whole-event write is kept until the next event: never a large one). */
const WHOLE_EVENT_MAX_CHARS = 16 * 1024;
/**
 * In a write of one line: the first of a CR, a newline, or a possible error
 * (`RUN_ERROR`, or a `\u00…` escape, which can spell it in JSON). One regular
 * expression scans once, where separate searches would each pay a call.
 */
const LINE_STOP = /[\r\n]|RUN_ERROR|\\u00/g;
/** Characters of an `event:` name kept (it is scrubbed and cut to 64 when written). */
const EVENT_NAME_CHARS = 256;
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const DATA = Buffer.from('data');
const EVENT = Buffer.from('event');

const NDJSON_TYPES = /^application\/(x-ndjson|jsonl|x-jsonlines|jsonlines)\b/i;
const SSE_TYPE = /^text\/event-stream\b/i;

/** The format of a streamed body, from its content type (an @Sse() route is SSE whatever its header says). */
export function streamFormatOf(contentType: unknown, sseRoute: boolean): StreamFormat {
  if (sseRoute) return 'sse';
  const type = typeof contentType === 'string' ? contentType.trimStart() : '';
  if (SSE_TYPE.test(type)) return 'sse';
  return NDJSON_TYPES.test(type) ? 'ndjson' : 'chunks';
}

/**
 * Cuts one response's body writes into events, however the writes fall: several
 * events in one write give several events, an event split over writes gives
 * one when it completes, `:` comments and blank lines alone (keep-alives, Nest's
 * header-commit newline) give none. Bounded: it keeps at most LINE_HEAD_BYTES of
 * a line split across writes and DATA_HEAD_CHARS of an event's data, whatever
 * the sizes written. Pure: it reports events, it writes nothing.
 */
export class StreamEventParser {
  /** Events that were cut at MAX_EVENT_BYTES. */
  cutEvents = 0;
  /** The start of a line split across writes. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Bytes of the current line in earlier writes (0: the line starts in this write). */
  private lineBytes = 0;
  private afterCR = false;
  /** Bytes of the event being read. */
  private eventBytes = 0;
  private eventName: string | undefined;
  private dataLines = 0;
  private dataHead = '';
  /** The current event was cut: skip to its end. */
  private skipping = false;
  /** The data of the last event left untyped (see `typesEach`). */
  private untypedData = '';
  /** The last event left untyped when it was a whole write, counted without being parsed (see `write`), and its bytes. */
  private untypedWrite: string | undefined;
  private untypedWriteBytes = 0;

  /**
   * `typesEach`: type every event as it completes (debug tier, where each one
   * is a row). Otherwise only what must be known at once is typed: named
   * events (their name is their type) and events that may be in-band errors
   * (an `error` name, `RUN_ERROR` in the data); the others are counted with no
   * type, and only the last one's is worked out, by `typeOfLast()`.
   */
  constructor(
    readonly format: StreamFormat,
    private readonly typesEach = true,
  ) {}

  /** The type of the last event when it was left untyped. */
  typeOfLast(): string {
    const write = this.untypedWrite;
    if (write === undefined) return typeEvent(undefined, this.untypedData, 0).type!;
    // A kept write is one line and its terminator (`data: …\n\n`, `{…}\n`, see isWholeEvent): within the data head's bytes, its data is read here.
    if (this.untypedWriteBytes <= DATA_HEAD_CHARS) {
      const lineEnd = write.length - (this.format === 'sse' ? 2 : 1);
      const dataStart = this.format === 'sse' ? (write.charCodeAt(DATA.length + 1) === SPACE ? DATA.length + 2 : DATA.length + 1) : 0;
      return typeEvent(undefined, write.slice(dataStart, lineEnd), 0).type!;
    }
    let type = 'message';
    new StreamEventParser(this.format).feed(bytesOfWrite(write, 'utf8')!, (event) => (type = event.type!));
    return type;
  }

  /**
   * One write of the body as the app made it (a string or bytes, and its size
   * in bytes); `onEvent` for every event it completes. When events need not be
   * typed at once, a string that is exactly one whole event (the way agent
   * servers write SSE and NDJSON: one write per event) is counted without
   * being encoded or parsed, and kept, to be parsed only if it is the last one.
   */
  write(chunk: unknown, encoding: unknown, size: number, onEvent: EventListener): void {
    if (typeof chunk === 'string' && !this.typesEach && this.isWholeEvent(chunk, encoding)) {
      this.untypedWrite = chunk;
      this.untypedWriteBytes = size;
      onEvent({ type: undefined, bytes: size });
      return;
    }
    const bytes = bytesOfWrite(chunk, encoding);
    if (bytes !== undefined) this.feed(bytes, onEvent);
  }

  /**
   * Whether `chunk`, written when no line or event is open, is one whole event
   * that needs no type at once: an SSE block of one `data:` line and the blank
   * line ending it, or one NDJSON object line; with nothing that may be an
   * error (`RUN_ERROR`) and no CR. A quick check, one scan of the string:
   * anything else (several lines, an `event:` or `id:` line) goes through the
   * parser, which decides.
   */
  private isWholeEvent(chunk: string, encoding: unknown): boolean {
    if (this.lineBytes !== 0 || this.eventBytes !== 0 || this.afterCR || chunk.length > WHOLE_EVENT_MAX_CHARS) return false;
    if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8') return false;
    const last = chunk.length - 1;
    if (chunk.charCodeAt(last) !== LF) return false;
    let lineEnd = last;
    let from = 0;
    if (this.format === 'sse') {
      if (!startsWithDataField(chunk) || chunk.charCodeAt(last - 1) !== LF) return false;
      lineEnd = last - 1;
      from = DATA.length + 1;
    } else if (chunk.charCodeAt(0) !== 0x7b /* { */) return false;
    // The scan's first stop must be the newline that ends the line (it always stops there or before).
    LINE_STOP.lastIndex = from;
    LINE_STOP.test(chunk);
    return LINE_STOP.lastIndex === lineEnd + 1;
  }

  /** One write of the body; `onEvent` for every event it completes. */
  feed(chunk: Buffer, onEvent: EventListener): void {
    if (this.format === 'chunks') {
      onEvent({ type: 'chunk', bytes: chunk.length });
      return;
    }
    let start = 0;
    if (this.afterCR) {
      this.afterCR = false;
      if (chunk[0] === LF) {
        // The LF of a CRLF split across writes: its line already ended (its byte is counted with what follows).
        start = 1;
        this.eventBytes += 1;
      }
    }
    // The next CR and LF, each searched again only once passed: linear however many lines a write holds.
    let nextCR = chunk.indexOf(CR, start);
    let nextLF = chunk.indexOf(LF, start);
    while (start < chunk.length) {
      if (nextCR >= 0 && nextCR < start) nextCR = chunk.indexOf(CR, start);
      if (nextLF >= 0 && nextLF < start) nextLF = chunk.indexOf(LF, start);
      const end = nextCR >= 0 && (nextLF < 0 || nextCR < nextLF) ? nextCR : nextLF;
      if (end < 0) {
        this.keepPartial(chunk, start, chunk.length);
        this.eventBytes += chunk.length - start;
        this.cutIfTooLong(onEvent);
        return;
      }
      let terminator = 1;
      if (chunk[end] === CR) {
        if (end + 1 === chunk.length) this.afterCR = true;
        else if (chunk[end + 1] === LF) terminator = 2;
      }
      // The line's bytes belong to the event it ends or continues.
      this.eventBytes += end + terminator - start;
      if (this.lineBytes === 0) {
        this.line(chunk, start, end, onEvent);
      } else {
        this.keepPartial(chunk, start, end);
        const whole = Buffer.concat(this.partial, this.partialBytes);
        const blank = this.lineBytes + end - start === 0;
        this.partial = [];
        this.partialBytes = 0;
        this.lineBytes = 0;
        if (blank) this.line(whole, 0, 0, onEvent);
        else this.line(whole, 0, whole.length, onEvent, true);
      }
      start = end + terminator;
    }
    // Checked once per write: an event that ends within the write is never cut.
    this.cutIfTooLong(onEvent);
  }

  /** The body ended: a last NDJSON line without its newline still counts (an unterminated SSE block does not, as in browsers). */
  end(onEvent: EventListener): void {
    if (this.format !== 'ndjson' || this.lineBytes === 0) return;
    const whole = Buffer.concat(this.partial, this.partialBytes);
    this.partial = [];
    this.partialBytes = 0;
    this.lineBytes = 0;
    this.line(whole, 0, whole.length, onEvent, true);
  }

  private keepPartial(chunk: Buffer, from: number, to: number): void {
    this.lineBytes += to - from;
    if (this.skipping || this.partialBytes >= LINE_HEAD_BYTES || to <= from) return;
    const take = Math.min(to, from + LINE_HEAD_BYTES - this.partialBytes);
    // A copy: the app may reuse its buffer once the write is done.
    this.partial.push(Buffer.from(chunk.subarray(from, take)));
    this.partialBytes += take - from;
  }

  /**
   * An event still open past MAX_EVENT_BYTES is counted now (when it has data:
   * a run of comments is no event) and the rest of it skipped.
   */
  private cutIfTooLong(onEvent: EventListener): void {
    if (this.skipping || this.eventBytes <= MAX_EVENT_BYTES) return;
    this.skipping = true;
    if (this.format === 'sse' && this.dataLines === 0 && !this.partialIsData()) return;
    this.cutEvents++;
    const event = this.describe(this.eventBytes);
    event.cut = true;
    onEvent(event);
  }

  /** The line still being written is a `data:` field (an endless one, when an event is cut). */
  private partialIsData(): boolean {
    if (this.partialBytes < DATA.length) return false;
    const head = Buffer.concat(this.partial, Math.min(this.partialBytes, DATA.length + 1));
    return isField(head, 0, head.length, DATA);
  }

  /** One line, `buf[from..to)` without its terminator (`nonEmpty`: a line split across writes, never blank). */
  private line(buf: Buffer, from: number, to: number, onEvent: EventListener, nonEmpty = false): void {
    if (this.format === 'ndjson') {
      if (!this.skipping && hasContent(buf, from, to)) {
        this.dataLines = 1;
        this.dataHead = buf.toString('utf8', from, Math.min(to, from + DATA_HEAD_CHARS));
        onEvent(this.completed(this.eventBytes));
      }
      this.resetEvent();
      return;
    }
    if (to === from && !nonEmpty) {
      // A blank line ends the block: an event when it had data (a comment-only block is a keep-alive).
      if (!this.skipping && this.dataLines > 0) onEvent(this.completed(this.eventBytes));
      this.resetEvent();
      return;
    }
    if (this.skipping || buf[from] === COLON) return;
    if (isField(buf, from, to, DATA)) {
      if (this.dataHead.length < DATA_HEAD_CHARS) {
        const value = buf.toString('utf8', valueStart(buf, from + DATA.length, to), Math.min(to, from + DATA.length + 2 + DATA_HEAD_CHARS));
        this.dataHead = this.dataLines > 0 ? `${this.dataHead}\n${value}` : value;
      }
      this.dataLines++;
    } else if (isField(buf, from, to, EVENT)) {
      this.eventName = buf.toString('utf8', valueStart(buf, from + EVENT.length, to), Math.min(to, from + EVENT.length + 2 + EVENT_NAME_CHARS));
    }
  }

  private resetEvent(): void {
    this.eventBytes = 0;
    this.eventName = undefined;
    this.dataLines = 0;
    this.dataHead = '';
    this.skipping = false;
  }

  /** The event read so far, typed, with what an error event says. */
  private describe(bytes: number): StreamEvent {
    return typeEvent(this.eventName, this.dataHead, bytes);
  }

  /** The event just completed: typed, or when it need not be yet, counted and kept as the last untyped one. */
  private completed(bytes: number): StreamEvent {
    if (this.typesEach || this.eventName !== undefined || mayBeError(this.dataHead)) return this.describe(bytes);
    this.untypedData = this.dataHead;
    this.untypedWrite = undefined;
    return { type: undefined, bytes };
  }
}

/** `data:` at the start of a string. */
function startsWithDataField(text: string): boolean {
  return text.charCodeAt(0) === 0x64 && text.charCodeAt(1) === 0x61 && text.charCodeAt(2) === 0x74 && text.charCodeAt(3) === 0x61 && text.charCodeAt(4) === COLON;
}

/** Data that may be an AG-UI error event: `RUN_ERROR` as written, or a `\u00…` escape that may spell it. */
function mayBeError(data: string): boolean {
  return data.includes('RUN_ERROR') || data.includes('\\u00');
}

/** An event's type from its `event:` name and the head of its data, with what an error event says. */
function typeEvent(eventName: string | undefined, data: string, bytes: number): StreamEvent {
  const named = eventName !== undefined && eventName !== '' ? eventName : undefined;
  if (named !== undefined && named !== 'error') return { type: named, bytes };
  const first = firstNonSpace(data);
  if (named === undefined && first === 0x5b /* [ */ && data.trim() === '[DONE]') return { type: 'done', bytes };
  const json = first === 0x7b /* { */ ? readJsonHead(data) : undefined;
  if (named === 'error') return { type: 'error', bytes, error: { type: 'error', message: json?.message ?? data } };
  if (json?.type !== undefined && json.type !== '') {
    if (json.type === 'RUN_ERROR') return { type: json.type, bytes, error: { type: json.type, message: json.message ?? data } };
    return { type: json.type, bytes };
  }
  return { type: json?.object === 'chat.completion.chunk' ? 'chat.completion.chunk' : 'message', bytes };
}

/** `buf[from..to)` is the field `name`: the name, then a colon or the end of the line. */
function isField(buf: Buffer, from: number, to: number, name: Buffer): boolean {
  const after = from + name.length;
  if (after > to || (after < to && buf[after] !== COLON)) return false;
  for (let i = 0; i < name.length; i++) if (buf[from + i] !== name[i]) return false;
  return true;
}

/** Where a field's value starts: after the colon and one optional space. */
function valueStart(buf: Buffer, colonAt: number, to: number): number {
  if (colonAt >= to) return to;
  return buf[colonAt + 1] === SPACE ? colonAt + 2 : colonAt + 1;
}

function hasContent(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c !== SPACE && c !== 0x09 && c !== CR) return true;
  }
  return false;
}

function firstNonSpace(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}

/**
 * Where string writes are encoded for the parser, instead of a new Buffer per
 * write: parsing is synchronous and the parser copies what it keeps, so one
 * buffer serves every response of the process (of this build).
 */
const scratch = Buffer.allocUnsafe(64 * 1024);

/** A body chunk as bytes, without copying bytes that already are; valid until the next call. */
export function bytesOfWrite(chunk: unknown, encoding: unknown): Buffer | undefined {
  if (typeof chunk === 'string') {
    const charset = typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
    // A string of n characters is at most 3n UTF-8 bytes: encode in place when that fits.
    if (chunk.length * 3 <= scratch.length) return scratch.subarray(0, scratch.write(chunk, 0, charset));
    return Buffer.from(chunk, charset);
  }
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}

