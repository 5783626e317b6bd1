import { readJsonHead } from './json-head.js';

/**
 * How a streamed body is cut into events: Server-Sent Events (one event per
 * blank-line-terminated block with data), newline-delimited JSON (one event
 * per line), or anything else (one event per write).
 */
export type StreamFormat = 'sse' | 'ndjson' | 'chunks';

/** One event as written: its type, its bytes, and for error events what they say. */
export interface StreamEvent {
  /** The `event:` name; else the JSON `type` (AG-UI); `chat.completion.chunk`; `done` for `[DONE]`; else `message` (`chunk` for raw writes). */
  type: string;
  /** Bytes of the event on the wire, its field lines and the blank line ending it included. */
  bytes: number;
  /** Set for an in-band error (an AG-UI `RUN_ERROR`, an SSE `event: error`): its type, and its message (else its data text). */
  error?: { type: string; message: string };
  /** The event reached MAX_EVENT_BYTES without ending: counted here, and the rest of it skipped. */
  cut?: boolean;
}

/** An event longer than this, still unterminated, is counted and cut; memory never grows with it. */
export const MAX_EVENT_BYTES = 1024 * 1024;
/** Characters of a line kept for parsing (field name plus the start of its value). */
const LINE_HEAD_BYTES = 4096;
/** Characters of an event's data kept to type it and to read an error message. */
const DATA_HEAD_CHARS = 2048;
const LF = 0x0a;
const CR = 0x0d;

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
 * header-commit newline) give none. Bounded: it keeps the first LINE_HEAD_BYTES
 * of the current line and the first DATA_HEAD_CHARS of the current event's data,
 * whatever the sizes written. Pure: it reports events, it writes nothing.
 */
export class StreamEventParser {
  /** Events that were cut at MAX_EVENT_BYTES. */
  cutEvents = 0;
  private line: Buffer[] = [];
  private lineHeadBytes = 0;
  /** Bytes of the current line so far, kept or not (a blank line has none). */
  private lineBytes = 0;
  private afterCR = false;
  /** Bytes of the event being read (0 between events). */
  private eventBytes = 0;
  private eventName: string | undefined;
  private dataLines = 0;
  private dataHead = '';
  /** The current event was cut: skip to its end. */
  private skipping = false;

  constructor(readonly format: StreamFormat) {}

  /** One write of the body; `onEvent` for every event it completes. */
  feed(chunk: Buffer, onEvent: (event: StreamEvent) => void): void {
    if (this.format === 'chunks') {
      onEvent({ type: 'chunk', bytes: chunk.length });
      return;
    }
    let start = 0;
    if (this.afterCR && chunk[0] === LF) {
      // The LF of a CRLF split across writes: part of the line already ended.
      start = 1;
      this.countBytes(1, onEvent);
    }
    this.afterCR = false;
    while (start < chunk.length) {
      const end = lineEnd(chunk, start);
      if (end < 0) {
        this.keepLinePart(chunk, start, chunk.length);
        this.countBytes(chunk.length - start, onEvent);
        return;
      }
      const terminator = chunk[end] === CR && chunk[end + 1] === LF ? 2 : 1;
      if (chunk[end] === CR && end + 1 === chunk.length) this.afterCR = true;
      this.keepLinePart(chunk, start, end);
      this.countBytes(end + terminator - start, onEvent);
      this.endLine(onEvent);
      start = end + terminator;
    }
  }

  /** The body ended: a last NDJSON line without its newline still counts (an unterminated SSE block does not, as in browsers). */
  end(onEvent: (event: StreamEvent) => void): void {
    if (this.format === 'ndjson' && this.lineBytes > 0) this.endLine(onEvent);
  }

  private keepLinePart(chunk: Buffer, from: number, to: number): void {
    this.lineBytes += to - from;
    if (this.skipping || this.lineHeadBytes >= LINE_HEAD_BYTES || to <= from) return;
    const take = Math.min(to, from + LINE_HEAD_BYTES - this.lineHeadBytes);
    this.line.push(chunk.subarray(from, take));
    this.lineHeadBytes += take - from;
  }

  private countBytes(bytes: number, onEvent: (event: StreamEvent) => void): void {
    this.eventBytes += bytes;
    if (!this.skipping && this.eventBytes >= MAX_EVENT_BYTES) {
      // An event that does not end: count it now, and skip the rest of it.
      this.cutEvents++;
      this.skipping = true;
      onEvent({ ...this.describe(), bytes: this.eventBytes, cut: true });
    }
  }

  private endLine(onEvent: (event: StreamEvent) => void): void {
    const blank = this.lineBytes === 0;
    const text = this.lineHeadBytes === 0 ? '' : Buffer.concat(this.line, this.lineHeadBytes).toString('utf8');
    this.line = [];
    this.lineHeadBytes = 0;
    this.lineBytes = 0;
    if (this.format === 'ndjson') {
      if (!this.skipping && text.trim() !== '') {
        this.dataLines = 1;
        this.dataHead = text.slice(0, DATA_HEAD_CHARS);
        onEvent({ ...this.describe(), bytes: this.eventBytes });
      }
      this.resetEvent();
      return;
    }
    if (blank) {
      // A blank line ends the block: an event when it had data (a comment-only block is a keep-alive).
      if (!this.skipping && this.dataLines > 0) onEvent({ ...this.describe(), bytes: this.eventBytes });
      this.resetEvent();
      return;
    }
    if (this.skipping || text.charCodeAt(0) === 0x3a /* : comment */) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(text.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1);
    if (field === 'data') {
      if (this.dataHead.length < DATA_HEAD_CHARS) {
        this.dataHead = (this.dataLines > 0 ? `${this.dataHead}\n${value}` : value).slice(0, DATA_HEAD_CHARS);
      }
      this.dataLines++;
    } else if (field === 'event') {
      this.eventName = value;
    }
  }

  private resetEvent(): void {
    this.eventBytes = 0;
    this.eventName = undefined;
    this.dataLines = 0;
    this.dataHead = '';
    this.skipping = false;
  }

  /** The event read so far: its type, and what an error event says. */
  private describe(): Omit<StreamEvent, 'bytes'> {
    const data = this.dataHead;
    const named = this.eventName !== undefined && this.eventName !== '' ? this.eventName : undefined;
    if (named !== undefined && named !== 'error') return { type: named };
    const trimmed = data.trim();
    if (named === undefined && trimmed === '[DONE]') return { type: 'done' };
    const json = trimmed.startsWith('{') ? readJsonHead(trimmed) : undefined;
    if (named === 'error') return { type: 'error', error: { type: 'error', message: json?.message ?? data } };
    if (json?.type !== undefined && json.type !== '') {
      return json.type === 'RUN_ERROR' ? { type: json.type, error: { type: json.type, message: json.message ?? data } } : { type: json.type };
    }
    if (json?.object === 'chat.completion.chunk') return { type: 'chat.completion.chunk' };
    return { type: 'message' };
  }
}

/** Index of the next CR or LF at or after `from`, or -1. */
function lineEnd(chunk: Buffer, from: number): number {
  const lf = chunk.indexOf(LF, from);
  const searchTo = lf < 0 ? chunk.length : lf;
  for (let i = from; i < searchTo; i++) if (chunk[i] === CR) return i;
  return lf;
}
