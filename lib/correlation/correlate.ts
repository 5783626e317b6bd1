import { CleanNames } from '../scrub/clean-names.js';
import { sliceCodePoints } from '../scrub/cut.js';
import { scrub, scrubPath } from '../scrub/scrub.js';
import type { CvdiagCorrelation } from '../context/correlation-context.js';
import type { CvdiagTier } from '../envelope/envelope.types.js';
import { UUIDV7_PATTERN, uuidv7 } from '../envelope/ids.js';

export const SLUG_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;
export const UNKNOWN_SLUG = 'unknown';
export const DEFAULT_DEMO = 'default';

const MAX_DEMO_CHARS = 256;
const MAX_ADOPTED_TEST_ID = 128;
/** Header values longer than this are not worth parsing: no valid id or slug is that long. */
const MAX_HEADER_SCAN = 512;

/** What correlation needs from the app's settings (a CvdiagRuntime). */
export interface CorrelationSettings {
  readonly options: { readonly adoptTestId: boolean; readonly slug: string | undefined };
  tierFor(slug: string): CvdiagTier;
}

/** docs/contract.md section 5: the correlation of one request, from its headers and path; a new trace id. */
export function correlate(
  testIdHeader: unknown,
  contextHeader: unknown,
  path: string,
  settings: CorrelationSettings,
): CvdiagCorrelation {
  const context = parseContextHeader(firstValue(contextHeader));
  const slug = context?.slug ?? settings.options.slug ?? UNKNOWN_SLUG;
  return {
    testId: resolveTestId(firstValue(testIdHeader), settings.options.adoptTestId),
    traceId: uuidv7(),
    slug,
    demo: context?.demo ?? demoFromPath(path),
    tier: settings.tierFor(slug),
  };
}

/** Correlation for work outside any request (a job, a script), at `tier` (the app's, unless given). */
export function detachedCorrelation(settings: CorrelationSettings, tier?: CvdiagTier): CvdiagCorrelation {
  const slug = settings.options.slug ?? UNKNOWN_SLUG;
  return { testId: uuidv7(), traceId: uuidv7(), slug, demo: DEFAULT_DEMO, tier: tier ?? settings.tierFor(slug) };
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

/** Demos named after a path's first segment: the same few on every request of an app, each cleaned once. */
const pathDemos = new CleanNames(MAX_DEMO_CHARS, 256, scrubPath);

/** First segment of the request path (`/api/chat` → `api`), percent-decoded and scrubbed, else `default`. */
function demoFromPath(path: string): string {
  const start = path.startsWith('/') ? 1 : 0;
  const end = path.indexOf('/', start);
  const segment = end < 0 ? path.slice(start) : path.slice(start, end);
  return segment ? pathDemos.clean(segment) : DEFAULT_DEMO;
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
