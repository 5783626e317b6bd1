/**
 * The top-level string fields `type`, `object` and `message` of a JSON object,
 * read from the first characters of a text that may be cut anywhere: one
 * forward pass, no parse of the whole value, nested values skipped, and it
 * stops as soon as the event's type is known (an error's message is read too).
 * Used to type stream events (AG-UI `type`, OpenAI `object`) and to read
 * in-band error messages. Fields the prefix does not reach are undefined.
 */
export interface JsonHead {
  type?: string;
  object?: string;
  message?: string;
}

/** A field value longer than this is cut (the message is scrubbed and bounded afterwards). */
const MAX_VALUE_CHARS = 2048;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function readJsonHead(text: string): JsonHead {
  const head: JsonHead = {};
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) return head;
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (text.charCodeAt(i) !== QUOTE) return head;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return head;
    const key = keyEnd - i <= 9 ? text.slice(i + 1, keyEnd) : '';
    i = skipSpace(text, keyEnd + 1);
    if (text.charCodeAt(i) !== 0x3a /* : */) return head;
    i = skipSpace(text, i + 1);
    const wanted = key === 'type' || key === 'object' || key === 'message';
    if (text.charCodeAt(i) === QUOTE) {
      const end = stringEnd(text, i);
      if (wanted && head[key as keyof JsonHead] === undefined) head[key as keyof JsonHead] = unescape(text, i + 1, end < 0 ? text.length : end);
      if (end < 0) return head;
      i = end + 1;
      if (isSettled(head)) return head;
    } else {
      i = skipValue(text, i);
      if (i < 0) return head;
    }
    i = skipSpace(text, i);
    if (text.charCodeAt(i) !== 0x2c /* , */) return head;
    i++;
  }
}

/** Enough is known: a type (with its message, for an error), or an OpenAI chunk. */
function isSettled(head: JsonHead): boolean {
  if (head.type !== undefined) return head.type !== 'RUN_ERROR' || head.message !== undefined;
  return head.object === 'chat.completion.chunk';
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index of the closing quote of the string opening at `start`, or -1 when the text ends first. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return -1;
    // Escaped when preceded by an odd number of backslashes.
    let backslashes = 0;
    for (let j = quote - 1; j > start && text.charCodeAt(j) === BACKSLASH; j--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    i = quote + 1;
  }
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

/** The characters between `from` and `to`, JSON escapes resolved, at most MAX_VALUE_CHARS. */
function unescape(text: string, from: number, to: number): string {
  const raw = text.slice(from, Math.min(to, from + 2 * MAX_VALUE_CHARS));
  if (raw.indexOf('\\') < 0) return raw.slice(0, MAX_VALUE_CHARS);
  let value = '';
  for (let i = 0; i < raw.length && value.length < MAX_VALUE_CHARS; i++) {
    const c = raw[i];
    if (c !== '\\') {
      value += c;
      continue;
    }
    const next = raw[i + 1];
    if (next === undefined) break;
    if (next === 'u') {
      const code = Number.parseInt(raw.slice(i + 2, i + 6), 16);
      if (Number.isNaN(code) || raw.length < i + 6) break;
      value += String.fromCharCode(code);
      i += 5;
    } else {
      value += ESCAPES[next] ?? next;
      i++;
    }
  }
  return value;
}

/** Skips one value that is not a string (object, array, number, literal); -1 when the text ends inside it. */
function skipValue(text: string, i: number): number {
  let depth = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return -1;
      i = end + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return i;
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && c === 0x2c) return i;
    i++;
  }
  return -1;
}
