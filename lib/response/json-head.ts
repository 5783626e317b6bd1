/**
 * The top-level string fields `type`, `object` and `message` of a JSON object,
 * read from the first characters of a text that may be cut anywhere: one
 * forward pass, no parse of the whole value, nested values skipped. Used to
 * type stream events (AG-UI `type`, OpenAI `object`) and to read in-band error
 * messages. Fields the prefix does not reach are undefined.
 */
export interface JsonHead {
  type?: string;
  object?: string;
  message?: string;
}

const WANTED = new Set(['type', 'object', 'message']);
/** A field value longer than this is cut (the message is scrubbed and bounded afterwards). */
const MAX_VALUE_CHARS = 2048;

export function readJsonHead(text: string): JsonHead {
  const head: JsonHead = {};
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) return head;
  i++;
  for (;;) {
    i = skipSpace(text, i);
    if (text.charCodeAt(i) !== 0x22 /* " */) return head;
    const key = readString(text, i, 64);
    if (key === undefined) return head;
    i = skipSpace(text, key.end);
    if (text.charCodeAt(i) !== 0x3a /* : */) return head;
    i = skipSpace(text, i + 1);
    if (text.charCodeAt(i) === 0x22) {
      const value = readString(text, i, MAX_VALUE_CHARS);
      if (value === undefined) {
        // Cut inside the string: keep what was read of a wanted field.
        const partial = WANTED.has(key.value) ? readString(text, i, MAX_VALUE_CHARS, true) : undefined;
        if (partial) head[key.value as keyof JsonHead] = partial.value;
        return head;
      }
      if (WANTED.has(key.value) && head[key.value as keyof JsonHead] === undefined) head[key.value as keyof JsonHead] = value.value;
      i = value.end;
    } else {
      i = skipValue(text, i);
      if (i < 0) return head;
    }
    i = skipSpace(text, i);
    if (text.charCodeAt(i) !== 0x2c /* , */) return head;
    i++;
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/**
 * The JSON string starting at `start` (its opening quote), unescaped and cut to
 * `max` characters, and the index after its closing quote; undefined when the
 * text ends first (unless `partial`, which returns what was read).
 */
function readString(text: string, start: number, max: number, partial = false): { value: string; end: number } | undefined {
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return { value, end: i + 1 };
    if (c === 0x5c /* \ */) {
      const next = text[i + 1];
      if (next === undefined) break;
      if (next === 'u') {
        const code = Number.parseInt(text.slice(i + 2, i + 6), 16);
        if (text.length < i + 6 || Number.isNaN(code)) break;
        if (value.length < max) value += String.fromCharCode(code);
        i += 6;
        continue;
      }
      if (value.length < max) value += ESCAPES[next] ?? next;
      i += 2;
      continue;
    }
    if (value.length < max) value += text[i];
    i++;
  }
  return partial ? { value, end: text.length } : undefined;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

/** Skips one value that is not a string (object, array, number, literal); -1 when the text ends inside it. */
function skipValue(text: string, i: number): number {
  let depth = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string inside a nested value: skip it whole, escapes included.
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      if (i >= text.length) return -1;
      i++;
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
