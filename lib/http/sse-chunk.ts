const PARSE_LIMIT = 512;
const MAX_EVENT_NAME = 64;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/**
 * The SSE event name of one chunk written by an @Sse() route (`message` when it
 * has no `event:` line), or null for chunks that are not events: the lone
 * newline Nest writes when it commits the headers, and `:` comment keep-alives.
 */
export function classifySseWrite(chunk: unknown): string | null {
  const text =
    typeof chunk === 'string'
      ? chunk.slice(0, PARSE_LIMIT)
      : chunk instanceof Uint8Array
        ? Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, PARSE_LIMIT)).toString('utf8')
        : '';
  // One pass over the lines without splitting: this runs for every write of
  // every @Sse() response, at every tier (the event count is always kept).
  let hasField = false;
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const next = newline < 0 ? text.length : newline;
    const end = next > start && text.charCodeAt(next - 1) === CR ? next - 1 : next;
    if (end > start && text.charCodeAt(start) !== COLON) {
      hasField = true;
      if (text.startsWith('event:', start)) {
        const nameStart = start + (text.charCodeAt(start + 6) === SPACE && start + 6 < end ? 7 : 6);
        return text.slice(nameStart, Math.min(end, nameStart + MAX_EVENT_NAME)) || 'message';
      }
    }
    start = next + 1;
  }
  return hasField ? 'message' : null;
}
