import {
  BEARER_PATTERN,
  KEY_VALUE_PATTERN,
  NEEDED_FOR_BEARER,
  NEEDED_FOR_KEY_VALUE,
  NEEDED_FOR_PROVIDER_KEY,
  PROVIDER_KEY_PATTERN,
} from './secret-patterns.js';

export const REDACTED = '[REDACTED]';

/** Only this many characters are scanned; the rest is dropped and counted. */
export const SCRUB_SCAN_LIMIT = 2048;

/**
 * Returns `value` as a string with every known secret shape replaced by
 * `[REDACTED]`. `null` and `undefined` give `""`. Never throws, and its cost is
 * bounded by the scan limit whatever the input.
 */
export function scrub(value: unknown): string {
  const text = toText(value);
  if (text.length <= SCRUB_SCAN_LIMIT) {
    return redactSecrets(text);
  }
  const prefix = text.slice(0, scanCut(text));
  return `${redactSecrets(prefix)}…[unscanned:${text.length - prefix.length}]`;
}

/** How far back the cut may move to keep a token whole. */
const TOKEN_BACKOFF = 256;

/**
 * Where to cut a text longer than the scan limit. A cut inside a token would
 * keep a secret's first part too short for its pattern to match (14 of the 16
 * characters of an AWS key id), so the cut moves back to the token's start, and
 * the partial token is counted as unscanned. Never splits a surrogate pair.
 */
function scanCut(text: string): number {
  let cut = SCRUB_SCAN_LIMIT;
  if (isTokenChar(text.charCodeAt(cut - 1)) && isTokenChar(text.charCodeAt(cut))) {
    const floor = cut - TOKEN_BACKOFF;
    while (cut > floor && isTokenChar(text.charCodeAt(cut - 1))) cut--;
  }
  return sliceCodePoints(text, cut).length;
}

/** Characters that occur inside keys and tokens: letters, digits and `-_.~+/=`. */
function isTokenChar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    code === 0x2d || code === 0x5f || code === 0x2e || code === 0x7e || code === 0x2b || code === 0x2f || code === 0x3d
  );
}

/**
 * Every secret shape needs one of these: a `:`/`=`/`@` (key-value pairs, URL
 * userinfo), or the literal start of a bearer token or provider key. Text with
 * none of them (event names, most paths) skips the four passes.
 */
const MIGHT_HOLD_SECRET = /[:=@]|bearer|[spr]k[-_]|gh[pousr]_|github_pat_|xox[abprs]-|AKIA|ASIA|AIza|hf_|eyJ/i;

/** A percent-escape: text holding one may hide a secret from the patterns until it is decoded. */
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

/**
 * Secrets redacted, as written and then percent-decoded: the text is scrubbed
 * as it is first (decoding could end a value early, `%2C` becoming a `,`, and
 * leave the rest of it), and when what remains still holds escapes, it is
 * decoded and scrubbed again, so `api_key%3D…` in a path or in an error message
 * quoting one is found too. The decoded text is returned only when decoding
 * revealed a secret.
 */
function redactSecrets(text: string): string {
  const scrubbed = redactDecoded(text);
  if (!PERCENT_ESCAPE.test(scrubbed)) return scrubbed;
  const decoded = decodePath(scrubbed);
  if (decoded === scrubbed) return scrubbed;
  const again = redactDecoded(decoded);
  return again === decoded ? scrubbed : again;
}

/** A URL path as rows carry it: scrubbed, percent-decoded, and scrubbed again (see redactSecrets). */
export function scrubPath(path: string): string {
  return scrub(decodePath(scrub(path)));
}

function redactDecoded(text: string): string {
  if (!MIGHT_HOLD_SECRET.test(text)) return text;
  // JWTs first: a key-shaped piece inside one (`…-sk-…`) must not break it up before it is seen whole.
  let out = text.includes('eyJ') ? redactJwts(text) : text;
  out = redactUrlUserinfo(out);
  // Most texts with a `:` (URLs, "Error: …") hold no key name, bearer or key prefix: skip those passes.
  if (NEEDED_FOR_KEY_VALUE.test(out)) out = out.replace(KEY_VALUE_PATTERN, (_match, key: string, separator: string) => key + separator + REDACTED);
  if (NEEDED_FOR_BEARER.test(out)) out = out.replace(BEARER_PATTERN, `Bearer ${REDACTED}`);
  if (NEEDED_FOR_PROVIDER_KEY.test(out)) out = out.replace(PROVIDER_KEY_PATTERN, REDACTED);
  return out;
}

/** The three segments of a JWT: base64url runs of at least 11 (`eyJ` and 8 more), 8 and 4 characters. */
const JWT_SEGMENT_MIN = [11, 8, 4] as const;

/**
 * JWTs (`eyJ…` `.` `…` `.` `…`, starting at a word boundary) → `[REDACTED]`.
 * Not a regex: a pattern that needs a `.` after a greedy run backtracks over
 * the run from every `eyJ` in it (`'eyJ-'.repeat(512)` took 2 ms). Here a
 * candidate that fails resumes the search past everything it scanned: any
 * later start inside those runs ends where they end and fails the same way.
 * One forward pass: linear time.
 */
export function redactJwts(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let at = text.indexOf('eyJ');
  while (at >= 0) {
    if (at > 0 && isWordChar(text.charCodeAt(at - 1))) {
      at = text.indexOf('eyJ', at + 1);
      continue;
    }
    let cursor = at;
    let segmentStart = at;
    let matched = true;
    for (let segment = 0; segment < JWT_SEGMENT_MIN.length; segment++) {
      while (cursor < text.length && isBase64UrlChar(text.charCodeAt(cursor))) cursor++;
      const long = cursor - segmentStart >= JWT_SEGMENT_MIN[segment];
      const last = segment === JWT_SEGMENT_MIN.length - 1;
      if (!long || (!last && text.charCodeAt(cursor) !== 0x2e /* . */)) {
        matched = false;
        break;
      }
      if (!last) segmentStart = ++cursor;
    }
    if (matched) {
      out += text.slice(copiedUpTo, at) + REDACTED;
      copiedUpTo = cursor;
    }
    at = text.indexOf('eyJ', Math.max(cursor, at + 1));
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

function isBase64UrlChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x2d || code === 0x5f;
}

/** `\w` of a regex: what a word boundary is between. */
function isWordChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
}

/**
 * `scheme://user:pass@host` → `scheme://[REDACTED]@host`. The userinfo is
 * everything up to the last `@` of the authority, so `a@b@host` is covered; the
 * authority ends at `/`, `?`, `#`, white space or a quote, so nothing is redacted
 * in a path, query or fragment. One forward pass: linear time.
 */
export function redactUrlUserinfo(text: string): string {
  let schemeEnd = text.indexOf('://');
  if (schemeEnd < 0) return text;
  let out = '';
  let copiedUpTo = 0;
  while (schemeEnd >= 0) {
    const authorityStart = schemeEnd + 3;
    let cursor = authorityStart;
    let lastAt = -1;
    while (cursor < text.length) {
      const code = text.charCodeAt(cursor);
      if (endsAuthority(code)) break;
      if (code === 0x40 /* @ */) lastAt = cursor;
      cursor++;
    }
    if (lastAt >= authorityStart) {
      out += text.slice(copiedUpTo, authorityStart) + REDACTED;
      copiedUpTo = lastAt;
    }
    schemeEnd = text.indexOf('://', cursor);
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

function endsAuthority(code: number): boolean {
  // / ? # " ' < > ` and any white space or control character
  return (
    code <= 0x20 ||
    code === 0x2f ||
    code === 0x3f ||
    code === 0x23 ||
    code === 0x22 ||
    code === 0x27 ||
    code === 0x3c ||
    code === 0x3e ||
    code === 0x60
  );
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

function cycleSafeReplacer(): (key: string, value: unknown) => unknown {
  const seen = new WeakSet<object>();
  return (_key, value) => {
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
  try {
    return decodeURIComponent(path);
  } catch {
    return path.replace(/%([0-7][0-9A-Fa-f])/g, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

/** The first `max` UTF-16 units of `text`, one less if that would split a surrogate pair. */
export function sliceCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return text.slice(0, end);
}
