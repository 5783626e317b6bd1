import type { CvdiagRow } from '../envelope/envelope.types.js';
import { ROW_PREFIX } from './rows.js';

/** What one line of a log holds, as far as CVDIAG is concerned. */
export type CvdiagLogLine =
  | { kind: 'row'; row: CvdiagRow }
  /** A line holding `CVDIAG {` whose row cannot be read (cut, corrupted). */
  | { kind: 'invalid'; reason: string }
  /** Anything else: the app's own output, other services' lines. */
  | { kind: 'other' };

const MARKER = `${ROW_PREFIX}{`;

/**
 * One line of a log as it reaches a reader: a row written by CVDIAG
 * (`CVDIAG {…}`), also after a prefix a log shipper added (a timestamp, a pod
 * name: `kubectl logs --prefix`), or inside the `log` field of a Docker
 * json-file line; anything else is `other`.
 */
export function readLogLine(line: string): CvdiagLogLine {
  const at = line.indexOf(MARKER);
  if (at < 0) return { kind: 'other' };
  if (line.startsWith('{"log":')) return readDockerLine(line);
  return readRowJson(line.slice(at + ROW_PREFIX.length).trimEnd());
}

function readDockerLine(line: string): CvdiagLogLine {
  let log: unknown;
  try {
    log = (JSON.parse(line) as { log?: unknown }).log;
  } catch {
    return { kind: 'invalid', reason: 'a Docker log line that is not JSON' };
  }
  if (typeof log !== 'string') return { kind: 'invalid', reason: 'a Docker log line without a log field' };
  const at = log.indexOf(MARKER);
  return at < 0 ? { kind: 'other' } : readRowJson(log.slice(at + ROW_PREFIX.length).trimEnd());
}

function readRowJson(json: string): CvdiagLogLine {
  let row: unknown;
  try {
    row = JSON.parse(json);
  } catch (error) {
    return { kind: 'invalid', reason: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (typeof row !== 'object' || row === null) return { kind: 'invalid', reason: 'not a JSON object' };
  const { boundary, trace_id: traceId, test_id: testId, mono_ns: monoNs, ts } = row as Record<string, unknown>;
  if (typeof boundary !== 'string' || typeof traceId !== 'string' || typeof testId !== 'string') {
    return { kind: 'invalid', reason: 'no boundary, trace_id or test_id' };
  }
  if (typeof monoNs !== 'number' || typeof ts !== 'string') return { kind: 'invalid', reason: 'no mono_ns or ts' };
  if (typeof (row as { metadata?: unknown }).metadata !== 'object' || (row as { metadata?: unknown }).metadata === null) {
    return { kind: 'invalid', reason: 'no metadata object' };
  }
  return { kind: 'row', row: row as CvdiagRow };
}
