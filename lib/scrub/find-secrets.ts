import { Body, looksRandom, TOKEN_RULES, type TokenRule } from './token-rules.js';

/**
 * Where the secrets of a text are. Each finder below makes one forward pass
 * over the text (or skips it when a literal it needs is absent) and never
 * rescans what it has passed, so the whole search is linear in the text's
 * length, whatever the text. Finders report spans; `scrub` replaces them.
 */

/** `[start, end)` of a secret in the text that was searched. */
export interface SecretSpan {
  start: number;
  end: number;
}

/**
 * Every secret in `text`, in no particular order; spans may overlap.
 * `cut` says the text is the first part of a longer one: a secret running
 * into its end is taken to go on past it.
 */
export function findSecrets(text: string, cut: boolean): SecretSpan[] {
  const spans: SecretSpan[] = [];
  findPrefixedTokens(text, spans);
  // A named value needs a `:` or `=`; looking at each one's name (cached) costs less than a case-blind search for the names.
  if (text.includes(':') || text.includes('=')) findNamedValues(text, spans);
  // The other finders need one of their literals: one search for any of them first.
  if (SHAPE_HINT.test(text)) {
    if (text.includes('eyJ')) findJwts(text, spans);
    if (text.includes('://')) findUrlUserinfo(text, spans, cut);
    if (text.includes('-----BEGIN ')) findPrivateKeyBlocks(text, spans);
    if (text.includes('Q~')) findAzureClientSecrets(text, spans);
    if (text.includes(':AA')) findTelegramBotTokens(text, spans);
  }
  return spans;
}

const SHAPE_HINT = /eyJ|:\/\/|-----BEGIN |Q~|:AA/;

// ---------------------------------------------------------------------------
// Character classes (ASCII only: anything else ends every token)

const CLASS = new Uint16Array(128);
const WORD = 512; // `\w`: letters, digits, `_`
function mark(chars: string, flags: number): void {
  for (const char of chars) CLASS[char.charCodeAt(0)] |= flags;
}
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const LETTERS_AND_DIGITS = Body.Alnum | Body.Word | Body.Base64Url | Body.Dotted | Body.Base64 | Body.Path | Body.Token68 | WORD;
mark(UPPER + LOWER + DIGITS, LETTERS_AND_DIGITS);
mark(UPPER + DIGITS, Body.Upper);
mark('ABCDEFabcdef' + DIGITS, Body.Hex);
mark('_', Body.Word | Body.Base64Url | Body.Dotted | Body.Base64 | Body.Path | Body.Token68 | WORD);
mark('-', Body.Base64Url | Body.Dotted | Body.Base64 | Body.Path | Body.Token68);
mark('.', Body.Dotted | Body.Token68);
mark('+', Body.Base64 | Body.Token68);
mark('/', Body.Base64 | Body.Path | Body.Token68);
mark('=', Body.Base64 | Body.Token68);
mark('~', Body.Token68);

function inClass(code: number, flags: number): boolean {
  return code < 128 && (CLASS[code]! & flags) !== 0;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/**
 * Whether `at` follows an escape of JSON or a string literal (`\n`, `\t`,
 * `\u003c`…): in escaped text (`"line1\nsk-…"`) a token starts a word
 * there, though the escape's last character is a letter or digit.
 */
function afterEscape(text: string, at: number): boolean {
  const before = text.charCodeAt(at - 2);
  if (before === 0x5c /* \ */) {
    const letter = text.charCodeAt(at - 1);
    return letter === 0x6e || letter === 0x72 || letter === 0x74 || letter === 0x62 || letter === 0x66; // n r t b f
  }
  return at >= 6 && text.charCodeAt(at - 6) === 0x5c && text.charCodeAt(at - 5) === 0x75 /* u */ && inClass(text.charCodeAt(at - 1), Body.Hex) && inClass(text.charCodeAt(at - 2), Body.Hex) && inClass(text.charCodeAt(at - 3), Body.Hex) && inClass(text.charCodeAt(at - 4), Body.Hex);
}

function isLetter(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isSpaceOrTab(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

// ---------------------------------------------------------------------------
// Tokens with a known prefix (token-rules.ts): one pass, looking only at word starts

/**
 * The prefixes as a trie: from a word start, the text's characters are
 * followed down the trie, and each rule whose prefix ends on the way is a
 * candidate, longest first. A start costs the length of the longest prefix
 * it begins, whatever the number of rules. Rules that match in any case
 * (auth schemes) are followed with the text lower-cased.
 */
class PrefixTrie {
  /** `next[node * 128 + code]`: the child node, 0 for none (the root is never a child). */
  private next = new Int32Array(128 * 64);
  /** `ruleAt[node]`: 1 + the id of the rule whose prefix ends at the node, 0 for none. */
  private ruleAt = new Int32Array(64);
  private nodes = 1;

  constructor(private readonly anyCase: boolean) {}

  add(prefix: string, id: number): void {
    let node = 0;
    for (let index = 0; index < prefix.length; index++) {
      const slot = node * 128 + (prefix.charCodeAt(index) & 0x7f);
      if (this.next[slot] === 0) {
        const child = this.grow(); // (may replace this.next: not read before it)
        this.next[slot] = child;
      }
      node = this.next[slot]!;
    }
    this.ruleAt[node] = id + 1;
  }

  /** The rules whose prefix is at `at`, shortest first, into `out`; returns how many. */
  rulesAt(text: string, at: number, out: Int32Array): number {
    let count = 0;
    let node = 0;
    for (let index = at; index < text.length && count < out.length; index++) {
      let code = text.charCodeAt(index);
      if (code >= 128) break;
      if (this.anyCase) code = toLowerAscii(code);
      node = this.next[node * 128 + code]!;
      if (node === 0) break;
      if (this.ruleAt[node] !== 0) out[count++] = this.ruleAt[node]! - 1;
    }
    return count;
  }

  private grow(): number {
    if (this.nodes === this.ruleAt.length) {
      const next = new Int32Array(this.next.length * 2);
      next.set(this.next);
      this.next = next;
      const ruleAt = new Int32Array(this.ruleAt.length * 2);
      ruleAt.set(this.ruleAt);
      this.ruleAt = ruleAt;
    }
    return this.nodes++;
  }
}

const TOKENS = new PrefixTrie(false);
const SCHEMES = new PrefixTrie(true);
TOKEN_RULES.forEach((rule, id) => (rule.anyCase ? SCHEMES : TOKENS).add(rule.prefix, id));

/**
 * `FIRST_PAIRS[first * 128 + second]` is 1 when some prefix begins with those
 * two characters (every prefix has two or more): most word starts of ordinary
 * text fail this one read and never reach the tries.
 */
const FIRST_PAIRS = new Uint8Array(128 * 128);
for (const { prefix, anyCase } of TOKEN_RULES) {
  const pairs = anyCase ? casings(prefix.slice(0, 2)) : [prefix.slice(0, 2)];
  for (const pair of pairs) FIRST_PAIRS[(pair.charCodeAt(0) & 0x7f) * 128 + (pair.charCodeAt(1) & 0x7f)] = 1;
}

/** Every upper/lower-case spelling of a short ASCII string. */
function casings(text: string): string[] {
  let out = [''];
  for (const char of text) out = out.flatMap((head) => [...new Set([head + char.toLowerCase(), head + char.toUpperCase()])]);
  return out;
}

/**
 * Where the escape starting with the backslash at `at` ends (`\n`, `\u003c`…),
 * or -1: in escaped text (`"line1\nsk-…"`) a token starts a word there,
 * though the escape's last character is a letter or digit.
 */
function escapeEnd(text: string, at: number): number {
  const letter = text.charCodeAt(at + 1);
  if (letter === 0x6e || letter === 0x72 || letter === 0x74 || letter === 0x62 || letter === 0x66) return at + 2; // n r t b f
  if (letter !== 0x75 /* u */) return -1;
  for (let index = at + 2; index < at + 6; index++) if (!inClass(text.charCodeAt(index), Body.Hex)) return -1;
  return at + 6;
}

function toLowerAscii(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}

/** Scratch list of candidate rules (findSecrets never runs re-entrantly); no prefix is a prefix of 8 others. */
const candidates = new Int32Array(8);

function findPrefixedTokens(text: string, spans: SecretSpan[]): void {
  // A failed unbounded match that scanned to `failedUpTo[id]` (`pa-pa-pa-…`, no digit): a later start of the same rule
  // whose body begins inside that run ends where it ends, shorter, and fails the same way. Skipping it keeps the pass linear.
  let failedUpTo: Int32Array | undefined;
  let previousIsWord = false;
  let escapedUpTo = -1;
  let at = 0;
  const last = text.length - 1;
  while (at < last) {
    const code = text.charCodeAt(at);
    const isWord = inClass(code, WORD);
    if (code === 0x5c /* \ */) escapedUpTo = escapeEnd(text, at);
    // (`at < last`: the pair's second character is in the text)
    if (isWord && (!previousIsWord || at === escapedUpTo) && FIRST_PAIRS[code * 128 + (text.charCodeAt(at + 1) & 0x7f)] !== 0) {
      let end = -1;
      for (let pass = 0; pass < 2 && end < 0; pass++) {
        const count = (pass === 0 ? TOKENS : SCHEMES).rulesAt(text, at, candidates);
        // Longest prefix first: the trie lists them shortest first.
        for (let index = count - 1; index >= 0; index--) {
          const id = candidates[index]!;
          const rule = TOKEN_RULES[id]!;
          if (failedUpTo !== undefined && at + rule.prefix.length <= failedUpTo[id]!) continue;
          end = matchToken(text, at, rule);
          if (end >= 0) break;
          if (rule.max === undefined && !rule.scheme) (failedUpTo ??= new Int32Array(TOKEN_RULES.length))[id] = ~end;
        }
      }
      if (end >= 0) {
        spans.push({ start: matchedStart, end });
        at = end;
        previousIsWord = inClass(text.charCodeAt(at - 1), WORD);
        continue;
      }
    }
    previousIsWord = isWord;
    at++;
  }
}

/** Words prose puts after "bearer" or "basic"; after the scheme, they are not tokens. */
const WORDS_AFTER_SCHEMES = new Set([
  'authentication', 'authorization', 'credentials', 'credential', 'configuration', 'explanation', 'information',
  'tokens', 'token', 'scheme', 'schemes', 'headers', 'header', 'access', 'example', 'examples', 'usage', 'support',
]);

/** `realm=` of `Bearer realm="api"` (WWW-Authenticate): an auth parameter, not a token. */
function isAuthParameter(text: string, start: number, end: number): boolean {
  if (text.charCodeAt(end - 1) !== 0x3d /* = */ || text.charCodeAt(end) !== 0x22 /* " */) return false;
  for (let index = start; index < end - 1; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x61 || code > 0x7a) return false;
  }
  return end - start > 1;
}

/** Where the last match of matchToken starts (after the scheme word of an auth scheme). */
let matchedStart = 0;

/**
 * The end of the token of `rule` whose prefix is at `at` (its start in
 * `matchedStart`), or, when there is none, `~scanned`: the bitwise complement
 * of how far the attempt scanned.
 */
function matchToken(text: string, at: number, rule: TokenRule): number {
  let cursor = at + rule.prefix.length;
  if (rule.scheme) {
    // `Bearer <token>`: only the token is the secret, and prose ("the bearer of bad news") is not one.
    const afterScheme = cursor;
    while (cursor < text.length && isSpaceOrTab(text.charCodeAt(cursor))) cursor++;
    if (cursor === afterScheme) return ~at;
    const start = cursor;
    while (cursor < text.length && inClass(text.charCodeAt(cursor), Body.Token68)) cursor++;
    while (cursor > start && text.charCodeAt(cursor - 1) === 0x2e) cursor--; // the full stop of a sentence is not part of it
    // A failed scheme reports the token's start as scanned: the search goes on from there ("bearer Bearer abc123").
    if (cursor - start < rule.min) return ~start;
    if (isAuthParameter(text, start, cursor)) return ~start;
    if (!looksRandom(text, start, cursor)) {
      // A plain word is a token only after the scheme written as headers write it (`Bearer`, `BASIC`), when it is
      // long, is not a word prose puts there, and does not go on as prose: "auth Bearer secrettoken" is a token;
      // "the bearer of bad news", "supports basic configuration", "requires Bearer authentication." are not.
      const capitalised = text.charCodeAt(at) >= 0x41 && text.charCodeAt(at) <= 0x5a;
      const prose = isSpaceOrTab(text.charCodeAt(cursor)) && isLetter(text.charCodeAt(cursor + 1));
      if (!capitalised || cursor - start < 8 || prose || WORDS_AFTER_SCHEMES.has(text.slice(start, cursor).toLowerCase())) return ~start;
    }
    matchedStart = start;
    return cursor;
  }
  const bodyStart = cursor;
  const limit = rule.max === undefined ? text.length : Math.min(text.length, bodyStart + rule.max);
  let hasDigit = false;
  while (cursor < limit) {
    const code = text.charCodeAt(cursor);
    if (!inClass(code, rule.body)) break;
    if (isDigit(code)) hasDigit = true;
    cursor++;
  }
  if (cursor - bodyStart < rule.min || (rule.digit && !hasDigit)) return ~cursor;
  if (rule.shape && !rule.shape(text.slice(bodyStart, cursor))) return ~cursor;
  if (rule.then) {
    if (!text.startsWith(rule.then.literal, cursor)) return ~cursor;
    const partStart = cursor + rule.then.literal.length;
    cursor = partStart;
    while (cursor < text.length && inClass(text.charCodeAt(cursor), rule.then.body)) cursor++;
    if (cursor - partStart < rule.then.min) return ~cursor;
  }
  matchedStart = at;
  return cursor;
}

// ---------------------------------------------------------------------------
// JWTs

/** The three segments of a JWT: base64url runs of at least 11 (`eyJ` and 8 more), 8 and 4 characters. */
const JWT_SEGMENT_MIN = [11, 8, 4] as const;

/**
 * `eyJ…` `.` `…` `.` `…` starting a word. Not a regex: a pattern that needs a
 * `.` after a greedy run backtracks over the run from every `eyJ` in it
 * (`'eyJ-'.repeat(512)` took 2 ms). A candidate that fails resumes the search
 * past everything it scanned: any later start inside those runs ends where
 * they end and fails the same way.
 */
function findJwts(text: string, spans: SecretSpan[]): void {
  let at = text.indexOf('eyJ');
  while (at >= 0) {
    if (at > 0 && inClass(text.charCodeAt(at - 1), WORD) && !afterEscape(text, at)) {
      at = text.indexOf('eyJ', at + 1);
      continue;
    }
    let cursor = at;
    let segmentStart = at;
    let matched = true;
    for (let segment = 0; segment < JWT_SEGMENT_MIN.length; segment++) {
      while (cursor < text.length && inClass(text.charCodeAt(cursor), Body.Base64Url)) cursor++;
      const long = cursor - segmentStart >= JWT_SEGMENT_MIN[segment]!;
      const lastSegment = segment === JWT_SEGMENT_MIN.length - 1;
      if (!long || (!lastSegment && text.charCodeAt(cursor) !== 0x2e /* . */)) {
        matched = false;
        break;
      }
      if (!lastSegment) segmentStart = ++cursor;
    }
    if (matched) spans.push({ start: at, end: cursor });
    at = text.indexOf('eyJ', Math.max(cursor, at + 1));
  }
}

// ---------------------------------------------------------------------------
// URL userinfo

/**
 * `scheme://user:pass@host`: the userinfo (up to the last `@` of the
 * authority, so `a@b@host` is covered). A password may hold `/`, `?` or `#`
 * (`postgres://u:pa/ss@h`): when the authority has `user:` followed by
 * something other than a port, the userinfo runs to the last `@` before white
 * space or a quote. Nothing is taken from a plain path, query or fragment.
 */
function findUrlUserinfo(text: string, spans: SecretSpan[], cut: boolean): void {
  let schemeEnd = text.indexOf('://');
  while (schemeEnd >= 0) {
    const start = schemeEnd + 3;
    let cursor = start;
    let colon = -1;
    let end = -1;
    // The authority: up to `/ ? #`, white space or a quote.
    while (cursor < text.length) {
      const code = text.charCodeAt(cursor);
      if (endsUrl(code) || code === 0x2f /* / */ || code === 0x3f /* ? */ || code === 0x23 /* # */) break;
      if (code === 0x40 /* @ */) end = cursor;
      else if (code === 0x3a /* : */ && colon < 0) colon = cursor;
      cursor++;
    }
    const authorityEnd = cursor;
    if (end < 0 && colon >= start && cursor < text.length && !endsUrl(text.charCodeAt(cursor)) && !isPort(text, colon + 1, cursor)) {
      // `user:pa/ss@host`: the last `@` before white space, a quote or the next URL ends the userinfo.
      while (cursor < text.length && !endsUrl(text.charCodeAt(cursor)) && !text.startsWith('://', cursor)) {
        if (text.charCodeAt(cursor) === 0x40) end = cursor;
        cursor++;
      }
      if (end < 0 && cut && cursor === text.length) end = cursor;
    }
    if (end >= start) spans.push({ start, end });
    schemeEnd = text.indexOf('://', Math.max(authorityEnd, end, start));
  }
}

function endsUrl(code: number): boolean {
  // white space or a control character, " ' < > `
  return code <= 0x20 || code === 0x22 || code === 0x27 || code === 0x3c || code === 0x3e || code === 0x60;
}

function isPort(text: string, start: number, end: number): boolean {
  if (end === start || end - start > 5) return false;
  for (let index = start; index < end; index++) if (!isDigit(text.charCodeAt(index))) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Values assigned to a secret's name: `password=…`, `"apiKey": "…"`, `{\"token\":\"…\"}`, `AccountKey=…;`

/** Words that make a name secret's, found inside the name lower-cased without `_`, `-` and `.`. */
const SECRET_NAME_PARTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'accountkey',
  'subscriptionkey',
  'signingkey',
  'masterkey',
  'encryptionkey',
  'sessionkey',
  'sharedkey',
  'clientkey',
  'authkey',
  'credential',
  'authorization',
] as const;

/** Names that are secret's only as a whole (`sig` of an Azure SAS URL, `pwd` of a connection string). */
const SECRET_NAMES = new Set(['pwd', 'pass', 'auth', 'sig', 'dbpwd']);

/** Names that hold a secret word and are not secrets: token counts and types of LLM APIs. */
const NOT_SECRET_NAME_PARTS = ['tokens', 'tokeniz', 'tokentype', 'tokencount', 'tokenlimit', 'tokenusage', 'tokenindex'] as const;

/**
 * Secret words that are also ordinary English. Written as a plain word and
 * followed by `: ` and an unquoted value ("Invalid token: expired", "password:
 * must be…"), the value is taken only when it looks random (see looksRandom).
 */
const PROSE_NAMES = new Set(['password', 'passwd', 'pass', 'pwd', 'passphrase', 'secret', 'token', 'authorization', 'auth', 'credential', 'credentials']);

const NameKind = {
  None: 0,
  /** A plain English word: its value must look random when written like prose. */
  Prose: 1,
  /** An identifier (`api_key`, `AWS_SECRET_ACCESS_KEY`, `x-api-key`): its value is always taken. */
  Identifier: 2,
} as const;
type NameKind = (typeof NameKind)[keyof typeof NameKind];

/** The kind of the name from `start` to `end` of `text`. */
function nameKind(text: string, start: number, end: number): NameKind {
  const length = end - start;
  if (length === 0) return NameKind.None;
  // The same name over and over (`token: …token: …`, a log of one shape): no new string, no hashing.
  if (length === lastName.length && text.startsWith(lastName, start)) return lastKind;
  const name = text.slice(start, end);
  let kind = NAME_KINDS.get(name);
  if (kind === undefined) {
    kind = classifyName(name);
    // Names repeat (a log holds the same few keys over and over); the cache stays small.
    if (NAME_KINDS.size >= 512) NAME_KINDS.clear();
    NAME_KINDS.set(name, kind);
  }
  lastName = name;
  lastKind = kind;
  return kind;
}

let lastName = '';

let lastKind: NameKind = NameKind.None;

const NAME_KINDS = new Map<string, NameKind>();

function classifyName(name: string): NameKind {
  const lower = name.toLowerCase();
  const normal = lower.replace(/[-_.]/g, '');
  if (NOT_SECRET_NAME_PARTS.some((part) => normal.includes(part))) return NameKind.None;
  if (!SECRET_NAMES.has(normal) && !SECRET_NAME_PARTS.some((part) => normal.includes(part)) && !normal.endsWith('pwd')) return NameKind.None;
  const plainWord = PROSE_NAMES.has(normal) && (name === lower || name.slice(1) === lower.slice(1));
  return plainWord ? NameKind.Prose : NameKind.Identifier;
}

const MAX_NAME = 64;
const MAX_GAP = 8;

function findNamedValues(text: string, spans: SecretSpan[]): void {
  // Where the values taken so far end. A name inside one (`key=a/b/token=c`) is still looked at, so a quoted
  // value after it is found; a bare value there is already covered and is not scanned again (linear time).
  let coveredUpTo = 0;
  // The next `:` and the next `=` (indexOf, not a loop over every character: most text has few of them).
  let colon = text.indexOf(':');
  let equals = text.indexOf('=');
  while (colon >= 0 || equals >= 0) {
    const isColon = equals < 0 || (colon >= 0 && colon < equals);
    const separator = isColon ? colon : equals;
    if (isColon) colon = text.indexOf(':', colon + 1);
    else equals = text.indexOf('=', equals + 1);
    if (isColon && text.charCodeAt(separator + 1) === 0x2f && text.charCodeAt(separator + 2) === 0x2f) continue; // the `://` of a URL
    nameBefore(text, separator);
    const kind = nameKind(text, nameStart, nameEnd);
    if (kind === NameKind.None) continue;
    let valueAt = separator + 1;
    while (valueAt < text.length && valueAt - separator <= MAX_GAP) {
      if (isSpaceOrTab(text.charCodeAt(valueAt))) valueAt++;
      else if (isEscapedBlank(text, valueAt)) valueAt += 3; // `key:%20'…'` of an encoded path
      else break;
    }
    if (valueAt < coveredUpTo && !isQuote(text.charCodeAt(valueAt))) continue;
    const written = valueAfter(text, valueAt);
    const proseLike = kind === NameKind.Prose && isColon && valueAt > separator + 1 && written === Written.Bare;
    if (valueEnd > valueStart && !(proseLike && !looksRandom(text, valueStart, valueEnd))) {
      spans.push({ start: valueStart, end: valueEnd });
      coveredUpTo = Math.max(coveredUpTo, valueEnd);
    }
  }
}

/** `%20` or `%09` at `at`. */
function isEscapedBlank(text: string, at: number): boolean {
  return text.charCodeAt(at) === 0x25 && (text.startsWith('%20', at) || text.startsWith('%09', at));
}

function isQuote(code: number): boolean {
  return code === 0x22 || code === 0x27 || code === 0x5c; // " ' and the \ of an escaped quote
}

/** Where the name nameBefore last found starts and ends. */
let nameStart = 0;
let nameEnd = 0;

/** The name written just before a separator, into `nameStart` and `nameEnd`: `name=`, `"name": `, `\"name\":`, `Name :`. */
function nameBefore(text: string, separator: number): void {
  let end = separator;
  while (end > 0 && separator - end < MAX_GAP) {
    if (isSpaceOrTab(text.charCodeAt(end - 1))) end--;
    else if (end >= 3 && isEscapedBlank(text, end - 3)) end -= 3;
    else break;
  }
  const quote = text.charCodeAt(end - 1);
  if (quote === 0x22 || quote === 0x27) {
    end--;
    // `\"name\":` of escaped JSON, escaped once or more
    while (end > 0 && separator - end < MAX_NAME && text.charCodeAt(end - 1) === 0x5c /* \ */) end--;
  }
  let start = end;
  while (start > 0 && end - start < MAX_NAME && isNameChar(text.charCodeAt(start - 1))) start--;
  // `%26sig=` of a text still partly escaped: the name is `sig`, not `26sig`.
  if (start > 0 && text.charCodeAt(start - 1) === 0x25 /* % */ && inClass(text.charCodeAt(start), Body.Hex) && inClass(text.charCodeAt(start + 1), Body.Hex)) start += 2;
  nameStart = start;
  nameEnd = end;
}

function isNameChar(code: number): boolean {
  return inClass(code, WORD) || code === 0x2d /* - */ || code === 0x2e /* . */;
}

/** How the value valueAfter found was written. */
const Written = { Quoted: 0, Scheme: 1, Bare: 2 } as const;
type Written = (typeof Written)[keyof typeof Written];

/** Where the value valueAfter last found starts and ends (kept here, not in a new object per value). */
let valueStart = 0;
let valueEnd = 0;

/**
 * The value starting at `at`, into `valueStart` and `valueEnd`: a quoted
 * string (also `\"…\"` of escaped JSON), an auth scheme's token, or a bare word.
 */
function valueAfter(text: string, at: number): Written {
  const first = text.charCodeAt(at);
  if (first === 0x5c /* \ */) {
    // `\"…\"` of escaped JSON, escaped once or more: the value ends at the backslashes before the next `"`.
    let open = at;
    while (open < text.length && text.charCodeAt(open) === 0x5c) open++;
    if (text.charCodeAt(open) === 0x22) {
      valueStart = open + 1;
      valueEnd = text.indexOf('"', valueStart);
      if (valueEnd < 0) valueEnd = text.length;
      else while (valueEnd > valueStart && text.charCodeAt(valueEnd - 1) === 0x5c) valueEnd--;
      return Written.Quoted;
    }
  }
  if (first === 0x22 || first === 0x27) {
    valueStart = at + 1;
    let cursor = valueStart;
    while (cursor < text.length) {
      const code = text.charCodeAt(cursor);
      if (code === first || code === 0x0a || code === 0x0d) break;
      cursor += code === 0x5c ? 2 : 1;
    }
    valueEnd = Math.min(cursor, text.length);
    return Written.Quoted;
  }
  const wordEnd = bareEnd(text, at);
  if (isSpaceOrTab(text.charCodeAt(wordEnd)) && isAuthScheme(text, at, wordEnd)) {
    let start = wordEnd;
    while (start < text.length && isSpaceOrTab(text.charCodeAt(start))) start++;
    valueStart = start;
    valueEnd = bareEnd(text, start);
    return Written.Scheme;
  }
  valueStart = at;
  valueEnd = wordEnd;
  return Written.Bare;
}

const AUTH_SCHEMES = ['bearer', 'basic', 'token', 'digest'] as const;

/** `Bearer`, `Basic`, `Token` or `Digest` (any case) from `start` to `end`, without making a string of it. */
function isAuthScheme(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 5 || length > 6) return false;
  next: for (const scheme of AUTH_SCHEMES) {
    if (scheme.length !== length) continue;
    for (let index = 0; index < length; index++) if ((text.charCodeAt(start + index) | 0x20) !== scheme.charCodeAt(index)) continue next;
    return true;
  }
  return false;
}

/**
 * An unquoted value ends at white space or `, ; & " ' } < > \`, and at the
 * percent-escape of white space or a quote: the value after `key:%20'…'` is
 * the quoted one that decoding reveals, not `%20`.
 */
function bareEnd(text: string, at: number): number {
  let cursor = at;
  while (cursor < text.length) {
    const code = text.charCodeAt(cursor);
    if (code <= 0x20 || code === 0x2c || code === 0x3b || code === 0x26 || code === 0x22 || code === 0x27 || code === 0x7d || code === 0x3c || code === 0x3e || code === 0x5c) break;
    if (code === 0x25 /* % */ && ESCAPED_END.has(text.slice(cursor + 1, cursor + 3).toUpperCase())) break;
    cursor++;
  }
  return cursor;
}

/** Percent-escapes of white space and quotes: `%20 %09 %0A %0D %22 %27`. */
const ESCAPED_END = new Set(['20', '09', '0A', '0D', '22', '27']);

// ---------------------------------------------------------------------------
// Shapes without a leading literal

/** `-----BEGIN … PRIVATE KEY-----` through its `-----END …-----` (or the end of the text). */
function findPrivateKeyBlocks(text: string, spans: SecretSpan[]): void {
  const BEGIN = '-----BEGIN ';
  let at = text.indexOf(BEGIN);
  while (at >= 0) {
    const labelEnd = text.indexOf('-----', at + BEGIN.length);
    if (labelEnd < 0) return;
    if (labelEnd - at > 80 || !text.slice(at + BEGIN.length, labelEnd).includes('PRIVATE KEY')) {
      at = text.indexOf(BEGIN, labelEnd);
      continue;
    }
    const endMarker = text.indexOf('-----END ', labelEnd + 5);
    const close = endMarker < 0 ? -1 : text.indexOf('-----', endMarker + 9);
    const end = close < 0 ? text.length : close + 5;
    spans.push({ start: at, end });
    at = text.indexOf(BEGIN, end);
  }
}

/** Microsoft Entra ID (Azure AD) client secrets: three characters, a digit, `Q~`, then 31 to 34 more. */
function findAzureClientSecrets(text: string, spans: SecretSpan[]): void {
  const isSecretChar = (code: number) => inClass(code, Body.Dotted) || code === 0x7e; /* ~ */
  let at = text.indexOf('Q~');
  while (at >= 0) {
    const start = at - 4;
    let end = at + 2;
    if (start >= 0 && isDigit(text.charCodeAt(at - 1)) && isSecretChar(text.charCodeAt(start)) && isSecretChar(text.charCodeAt(start + 1)) && isSecretChar(text.charCodeAt(start + 2))) {
      while (end < text.length && end - at - 2 < 34 && isSecretChar(text.charCodeAt(end))) end++;
      if (end - at - 2 >= 31) spans.push({ start, end });
    }
    at = text.indexOf('Q~', end);
  }
}

/** Telegram bot tokens: 8 to 10 digits, `:AA`, and 33 more base64url characters. */
function findTelegramBotTokens(text: string, spans: SecretSpan[]): void {
  let at = text.indexOf(':AA');
  while (at >= 0) {
    let start = at;
    while (start > 0 && at - start < 10 && isDigit(text.charCodeAt(start - 1))) start--;
    let end = at + 1;
    while (end < text.length && end - at - 1 < 35 && inClass(text.charCodeAt(end), Body.Base64Url)) end++;
    if (at - start >= 8 && end - at - 1 === 35) spans.push({ start, end });
    at = text.indexOf(':AA', Math.max(end, at + 1));
  }
}
