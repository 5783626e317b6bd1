/**
 * The two ways CVDIAG cuts a string, used everywhere a bound applies. Both cut
 * only strings that were already scrubbed (a cut first could hide part of a
 * secret from the scrubber), and neither splits a character.
 */

/** `text` cut to at most `maxBytes` UTF-8 bytes without splitting a code point; unchanged when it fits. */
export function truncateUtf8(text: string, maxBytes: number): string {
  // Each UTF-16 unit encodes to at most 3 bytes, so short strings skip the count.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.codePointAt(index)!;
    const size = code <= 0x7f ? 1 : code <= 0x7ff ? 2 : code <= 0xffff ? 3 : 4;
    if (bytes + size > maxBytes) break;
    bytes += size;
    index += code > 0xffff ? 2 : 1;
  }
  return text.slice(0, index);
}

/** The first `max` UTF-16 units of `text`, one less if that would split a surrogate pair. */
export function sliceCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  const last = text.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return text.slice(0, end);
}
