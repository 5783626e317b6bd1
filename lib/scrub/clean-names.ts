import { sliceCodePoints } from './cut.js';
import { scrub } from './scrub.js';

/**
 * Names that recur on every request (stream event types, route templates, the
 * path segment a demo is named after): each distinct name is scrubbed whole
 * (by `scrubText`: `scrub`, or `scrubPath` for path segments), then cut to
 * `maxChars`, once, and remembered (a bounded number of them; names far
 * longer than the bound are not remembered, as they are unlikely to recur).
 */
export class CleanNames {
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly maxChars: number,
    private readonly maxEntries = 256,
    private readonly scrubText: (text: string) => string = scrub,
  ) {}

  clean(raw: string): string {
    const cached = this.cache.get(raw);
    if (cached !== undefined) return cached;
    const clean = sliceCodePoints(this.scrubText(raw), this.maxChars);
    if (raw.length <= 4 * this.maxChars) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(raw, clean);
    }
    return clean;
  }
}
