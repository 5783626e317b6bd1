import { CvdiagEdgeHeaderName, CvdiagEdgeHeaders } from '../envelope/envelope.types.js';
import { sliceCodePoints } from '../scrub/cut.js';
import { scrub } from '../scrub/scrub.js';

/**
 * The allow-list of docs/contract.md section 6. Client-identifying headers (cf-connecting-ip,
 * x-forwarded-for, …) are never read: only these names are looked up.
 */
export const EDGE_HEADER_NAMES: readonly CvdiagEdgeHeaderName[] = [
  'cf-ray',
  'cf-mitigated',
  'cf-cache-status',
  'x-railway-edge',
  'x-railway-request-id',
  'x-hikari-trace',
  'retry-after',
  'via',
  'server',
];

const MAX_VALUE_CHARS = 256;

/**
 * The all-null bag, shared (and frozen) by every row that has no edge header:
 * most rows. The serializer knows it and writes its JSON without looking.
 */
export const NULL_EDGE_HEADERS: CvdiagEdgeHeaders = Object.freeze(
  Object.fromEntries(EDGE_HEADER_NAMES.map((name) => [name, null])) as CvdiagEdgeHeaders,
);

/** A fresh all-null bag, to fill in. */
export function nullEdgeHeaders(): CvdiagEdgeHeaders {
  return { ...NULL_EDGE_HEADERS };
}

export type HeaderLookup = (lowercaseName: string) => unknown;

/**
 * The 9 edge headers from a lookup by lowercase name (Node keeps incoming header
 * names lowercase, and `getHeader` is case-insensitive, so names match in any case).
 */
export function pickEdgeHeaders(lookup: HeaderLookup): CvdiagEdgeHeaders {
  let bag = NULL_EDGE_HEADERS;
  for (const name of EDGE_HEADER_NAMES) {
    let raw: unknown;
    try {
      raw = lookup(name);
    } catch {
      raw = undefined;
    }
    const value = headerValue(raw);
    if (value === null) continue;
    if (bag === NULL_EDGE_HEADERS) bag = nullEdgeHeaders();
    bag[name] = value;
  }
  return bag;
}

/** A header's value as a row carries it: joined, scrubbed (a `via` may hold URL userinfo), then cut. */
function headerValue(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  const joined = scrub(Array.isArray(raw) ? raw.map(String).join(', ') : String(raw));
  return joined.length <= MAX_VALUE_CHARS ? joined : `${sliceCodePoints(joined, MAX_VALUE_CHARS - 1)}…`;
}
