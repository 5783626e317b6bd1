const PARSE_LIMIT = 512;

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
  let eventName: string | null = null;
  let hasField = false;
  for (const line of text.split('\n')) {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (trimmed === '' || trimmed.startsWith(':')) continue;
    hasField = true;
    if (trimmed.startsWith('event:')) {
      eventName = trimmed.slice(trimmed.startsWith('event: ') ? 7 : 6).slice(0, 64);
      break;
    }
  }
  if (!hasField) return null;
  return eventName || 'message';
}
