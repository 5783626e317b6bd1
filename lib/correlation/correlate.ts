import { scrub, scrubPath, sliceCodePoints } from '../scrub/scrub.js';
import { UUIDV7_PATTERN, uuidv7 } from '../envelope/ids.js';

export const SLUG_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;
export const UNKNOWN_SLUG = 'unknown';
export const DEFAULT_DEMO = 'default';

const MAX_DEMO_CHARS = 256;
const MAX_ADOPTED_TEST_ID = 128;
/** Header values longer than this are not worth parsing: no valid id or slug is that long. */
const MAX_HEADER_SCAN = 512;

export interface Correlation {
  testId: string;
  slug: string;
  demo: string;
}

export interface CorrelationSettings {
  adoptTestId: boolean;
  slug: string | undefined;
}

/** docs/contract.md section 5: test id, slug and demo of one request, from its headers and path. */
export function correlate(
  testIdHeader: unknown,
  contextHeader: unknown,
  path: string,
  settings: CorrelationSettings,
): Correlation {
  const context = parseContextHeader(firstValue(contextHeader));
  return {
    testId: resolveTestId(firstValue(testIdHeader), settings.adoptTestId),
    slug: context?.slug ?? settings.slug ?? UNKNOWN_SLUG,
    demo: context?.demo ?? demoFromPath(path),
  };
}

/** Correlation for work outside any request (a job, a script). */
export function detachedCorrelation(configuredSlug: string | undefined): Correlation {
  return { testId: uuidv7(), slug: configuredSlug ?? UNKNOWN_SLUG, demo: DEFAULT_DEMO };
}

function resolveTestId(header: string | undefined, adopt: boolean): string {
  if (header !== undefined && header.length <= MAX_HEADER_SCAN) {
    const candidate = header.trim().toLowerCase();
    if (UUIDV7_PATTERN.test(candidate)) return candidate;
    // A probe id that holds a secret is not adopted: it is checked before it is lowercased and cut.
    if (adopt && scrub(header) === header) {
      const adopted = candidate.replace(/[^a-z0-9._-]/g, '').slice(0, MAX_ADOPTED_TEST_ID);
      if (adopted.length > 0) return adopted;
    }
  }
  return uuidv7();
}

function parseContextHeader(header: string | undefined): { slug: string; demo?: string } | undefined {
  if (header === undefined || header.length > MAX_HEADER_SCAN) return undefined;
  const value = header.trim();
  const slash = value.indexOf('/');
  const slug = (slash < 0 ? value : value.slice(0, slash)).toLowerCase();
  if (!SLUG_PATTERN.test(slug)) return undefined;
  const demo = slash < 0 ? '' : value.slice(slash + 1).trim();
  // Scrubbed before it is lowercased: `AKIA…` lowercased is no longer an AWS key id to the scrubber.
  return demo ? { slug, demo: boundDemo(scrub(demo).toLowerCase()) } : { slug };
}

/** First segment of the request path (`/api/chat` → `api`), percent-decoded and scrubbed, else `default`. */
function demoFromPath(path: string): string {
  const start = path.startsWith('/') ? 1 : 0;
  const end = path.indexOf('/', start);
  const segment = end < 0 ? path.slice(start) : path.slice(start, end);
  return segment ? boundDemo(scrubPath(segment)) : DEFAULT_DEMO;
}

/** A scrubbed demo, cut to its bound (never cut before scrubbing: a cut could hide part of a secret). */
function boundDemo(scrubbed: string): string {
  return sliceCodePoints(scrubbed, MAX_DEMO_CHARS);
}

function firstValue(header: unknown): string | undefined {
  if (typeof header === 'string') return header;
  if (Array.isArray(header) && typeof header[0] === 'string') return header[0];
  return undefined;
}
