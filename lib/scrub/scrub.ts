import { findSecrets, type SecretSpan } from './find-secrets.js';
import { sliceCodePoints } from './cut.js';

export const REDACTED = '[REDACTED]';

/** Only this many characters are written; the rest is dropped and counted. */
export const SCRUB_SCAN_LIMIT = 2048;

/**
 * How far past the limit the search reads, so that a secret the limit cuts
 * through (a token, a quoted value, `user:password@` of a URL) is seen whole
 * and redacted whole instead of leaving a part too short to recognise.
 */
const SCAN_OVERLAP = 512;

/**
 * Returns `value` as a string with every known secret replaced by
 * `[REDACTED]` (see token-rules.ts and find-secrets.ts for what is known).
 * `null` and `undefined` give `""`; objects are JSON with each string scrubbed
 * as it is, before JSON escapes it. Never throws, and its cost is bounded by
 * the scan limit whatever the input.
 */
export function scrub(value: unknown): string {
  const text = toText(value);
  if (text.length <= SCRUB_SCAN_LIMIT) return redactSecrets(text, findSecrets(text, false));
  const window = sliceCodePoints(text, SCRUB_SCAN_LIMIT + SCAN_OVERLAP);
  const spans = findSecrets(window, true);
  // Cut at the limit, or past it at the end of a secret the limit falls in.
  let cut = sliceCodePoints(text, SCRUB_SCAN_LIMIT).length;
  for (const span of spans) if (span.start < cut && span.end > cut) cut = span.end;
  return `${redactSecrets(window.slice(0, cut), spans)}…[unscanned:${text.length - cut}]`;
}

/**
 * `text` with the secrets found in it (`spans`) redacted, and, when it holds
 * percent-escapes, those found once it is decoded too, so `api_key%3D…` in a
 * path or in an error message quoting one is found. Both searches count:
 * decoding can end a value early (`AbC%2CdEf` becoming `AbC,dEf`), so what
 * the search as written found stays redacted in the decoded text. The decoded
 * text is returned only when decoding revealed a secret.
 */
function redactSecrets(text: string, spans: SecretSpan[]): string {
  if (!text.includes('%') || !PERCENT_ESCAPE.test(text)) return redactSpans(text, spans);
  const decoding = decodeMapped(text);
  const revealed = findSecrets(decoding.decoded, false);
  if (revealed.length === 0) return redactSpans(text, spans);
  for (const span of spans) revealed.push({ start: decoding.startOf(span.start), end: decoding.endOf(span.end) });
  return redactSpans(decoding.decoded, revealed);
}

/**
 * Characters that end an unquoted value (`, ; & }` …) stay escaped in the text
 * searched once decoded: `api_key%3DAbC%2CdEf` is searched as
 * `api_key=AbC%2CdEf`, so the whole value is taken, not `AbC` alone.
 */
function keepDelimitersEncoded(decoded: string): string {
  return DELIMITERS.test(decoded) ? decoded.replace(DELIMITERS_ALL, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`) : decoded;
}
const DELIMITERS = /[,;&}<>]/;
const DELIMITERS_ALL = /[,;&}<>]/g;

/** A percent-escape: text holding one may hide a secret from the search until it is decoded. */
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

/**
 * `text` decoded as decodePath decodes it, with a map from places in `text`
 * to places in the decoded text. A place inside a run of escapes maps to the
 * run's start (for a span's start) or end (for a span's end): the whole run
 * stays inside the span.
 */
function decodeMapped(text: string): { decoded: string; startOf(index: number): number; endOf(index: number): number } {
  // Runs of escapes, four numbers each: start and end in `text`, start and end in `decoded`.
  const runs: number[] = [];
  let decoded = '';
  let copiedUpTo = 0;
  let at = text.indexOf('%');
  while (at >= 0) {
    if (escapedByte(text, at) < 0) {
      at = text.indexOf('%', at + 1);
      continue;
    }
    let end = at;
    let ascii = true;
    for (let byte = escapedByte(text, end); byte >= 0; byte = escapedByte(text, end)) {
      if (byte >= 0x80) ascii = false;
      end += 3;
    }
    decoded += text.slice(copiedUpTo, at);
    const start = decoded.length;
    if (ascii) {
      // One character per escape, without decodeURIComponent: the common case, and a run of many short ones stays cheap.
      for (let escape = at; escape < end; escape += 3) {
        const byte = escapedByte(text, escape);
        decoded += isDelimiter(byte) ? text.slice(escape, escape + 3) : String.fromCharCode(byte);
      }
    } else {
      decoded += keepDelimitersEncoded(decodeRun(text.slice(at, end)));
    }
    runs.push(at, end, start, decoded.length);
    copiedUpTo = end;
    at = text.indexOf('%', end);
  }
  decoded += text.slice(copiedUpTo);
  /** The index in `runs` of the last run starting before `index`, or -1. */
  const runBefore = (index: number): number => {
    let low = 0;
    let high = runs.length / 4 - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (runs[middle * 4]! < index) {
        found = middle * 4;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  };
  const map = (index: number, inside: 2 | 3): number => {
    const run = runBefore(index);
    if (run < 0) return index;
    return index < runs[run + 1]! ? runs[run + inside]! : runs[run + 3]! + (index - runs[run + 1]!);
  };
  return { decoded, startOf: (index) => map(index, 2), endOf: (index) => map(index, 3) };
}

/** The byte a `%XX` escape at `at` stands for, or -1 when there is none there. */
function escapedByte(text: string, at: number): number {
  if (text.charCodeAt(at) !== 0x25) return -1;
  const high = hexDigit(text.charCodeAt(at + 1));
  const low = hexDigit(text.charCodeAt(at + 2));
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** `, ; & } < >`: see keepDelimitersEncoded. */
function isDelimiter(byte: number): boolean {
  return byte === 0x2c || byte === 0x3b || byte === 0x26 || byte === 0x7d || byte === 0x3c || byte === 0x3e;
}

/** A URL path as rows carry it: scrubbed, percent-decoded, and scrubbed again (see redactSecrets). */
export function scrubPath(path: string): string {
  return scrub(decodePath(scrub(path)));
}

/** `text` with each span (clipped to the text; overlapping spans merged) replaced by `[REDACTED]`. */
function redactSpans(text: string, spans: SecretSpan[]): string {
  if (spans.length === 0) return text;
  if (!inOrder(spans)) spans.sort((a, b) => a.start - b.start);
  let out = '';
  let copiedUpTo = 0;
  for (const span of spans) {
    if (span.start >= text.length) break;
    const end = Math.min(span.end, text.length);
    if (end <= copiedUpTo) continue;
    if (span.start >= copiedUpTo) out += text.slice(copiedUpTo, span.start) + REDACTED;
    copiedUpTo = end;
  }
  return out + text.slice(copiedUpTo);
}

/** Whether the spans are sorted by start already (one finder's spans are). */
function inOrder(spans: SecretSpan[]): boolean {
  for (let index = 1; index < spans.length; index++) if (spans[index]!.start < spans[index - 1]!.start) return false;
  return true;
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  try {
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    if (typeof value === 'object') return JSON.stringify(value, cycleSafeReplacer()) ?? '';
    return String(value);
  } catch {
    return '[unprintable]';
  }
}

/**
 * JSON.stringify's replacer: cycles cut, bigints as text, and each string
 * scrubbed as it is, before JSON escapes it (escaped, `password="…"` inside a
 * string would read `password=\\"…\\"`).
 */
function cycleSafeReplacer(): (key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (_key, value) => {
    if (typeof value === 'string') return scrub(value);
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'object' && value !== null) {
      if (seen.has(value)) return '[circular]';
      seen.add(value);
    }
    return value;
  };
}

/**
 * A URL path percent-decoded, so that `Bearer%20…` or `api_key%3D…` are seen
 * for what they are: scrub the decoded text, and write that. A malformed
 * escape does not fail: the escapes that decode to ASCII are decoded, the
 * rest left as written.
 */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(ESCAPE_RUN, decodeRun);
}

/** A run of percent-escapes: decoded together, so a character of several UTF-8 bytes is one run. */
const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

function decodeRun(run: string): string {
  try {
    return decodeURIComponent(run);
  } catch {
    // Not UTF-8: the escapes of ASCII characters are decoded, the rest left as written.
    return run.replace(/%([0-7][0-9A-Fa-f])/g, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

