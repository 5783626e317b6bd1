import { describe, expect, it } from '@jest/globals';
import { UUID } from 'uuidv7';
import { newSpanId, uuidv7, UUIDV7_PATTERN } from '../lib/envelope/ids';

describe('ids', () => {
  it('mints UUIDv7s in canonical form, unique and in the order they were made', () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7());
    for (const id of ids) {
      expect(id).toMatch(UUIDV7_PATTERN);
      // The package reads it back to the same text: every byte where it belongs.
      expect(UUID.parse(id).toString()).toBe(id);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // The time field is now (the first 48 bits, milliseconds since the epoch).
    expect(Math.abs(parseInt(ids[0]!.replace('-', '').slice(0, 12), 16) - Date.now())).toBeLessThan(60_000);
  });

  it('mints span ids of 16 lowercase hex characters', () => {
    const spans = Array.from({ length: 1000 }, () => newSpanId());
    expect(spans.every((span) => /^[0-9a-f]{16}$/.test(span))).toBe(true);
    expect(new Set(spans).size).toBe(spans.length);
  });
});
