import { EDGE_HEADER_NAMES } from '../correlation/edge-headers.js';

/** The response headers CVDIAG reads: the nine edge headers, content-length and content-type (the stream's format). */
const RECORDED_HEADERS = new Set<string>([...EDGE_HEADER_NAMES, 'content-length', 'content-type']);

/**
 * The recorded headers of a writeHead() call, added to `into`. Headers passed
 * there (Fastify passes all of them) are sent without being stored, so
 * getHeader() cannot see them. Accepts an object, a flat `[name, value, …]`
 * array or an array of pairs; names match in any case.
 */
export function pickHeadHeaders(headers: unknown, into?: Map<string, unknown>): Map<string, unknown> | undefined {
  if (typeof headers !== 'object' || headers === null) return into;
  const entries: Array<[unknown, unknown]> = Array.isArray(headers)
    ? Array.isArray(headers[0])
      ? (headers as Array<[unknown, unknown]>)
      : headers.flatMap((value, index) => (index % 2 === 0 ? [[value, headers[index + 1]] as [unknown, unknown]] : []))
    : Object.entries(headers);
  let picked = into;
  for (const [name, value] of entries) {
    const key = String(name).toLowerCase();
    if (RECORDED_HEADERS.has(key)) (picked ??= new Map()).set(key, value);
  }
  return picked;
}
