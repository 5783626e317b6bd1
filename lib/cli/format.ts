import type { CvdiagRequestSummary } from '../analysis/requests.js';
import { duration, type CvdiagPaint } from '../analysis/timeline.js';
import type { CvdiagRow } from '../envelope/envelope.types.js';
import { printable } from '../analysis/printable.js';

/**
 * `…8e69ee923b77`: the end of an id, as `ls` shows it (a UUIDv7 starts with its
 * time, so ids of one minute share their start). `show` and `--test-id` take
 * the start or the end of an id.
 */
export function shortId(id: string): string {
  return id.length > 12 ? `…${id.slice(-12)}` : id;
}

/** Whether `id` is `wanted`, starts with it, or ends with it (`…` allowed, as `ls` prints it). */
export function idMatches(id: string, wanted: string): boolean {
  const bare = wanted.replace(/^…/, '').toLowerCase();
  return bare.length > 0 && (id.startsWith(bare) || id.endsWith(bare));
}

/** How the request ended: `complete 200`, `aborted rst 181 B`, `no terminal`. */
export function endOf(summary: CvdiagRequestSummary): string {
  if (summary.end === 'complete') return `complete ${summary.status}`;
  if (summary.end === 'aborted') return `aborted ${summary.terminationKind} ${summary.bytes} B`;
  return 'no terminal';
}

/** One line of `cvdiag ls` (and of `cvdiag tail`). */
export function lsLine(summary: CvdiagRequestSummary, paint: CvdiagPaint): string {
  const time = summary.startedAt.slice(11, 23);
  const what = printable(`${summary.method ?? '?'} ${summary.route ?? '(no route)'}`);
  const cells = [
    paint.dim(time),
    shortId(summary.testId),
    what.length > 36 ? `${what.slice(0, 35)}…` : what.padEnd(36),
    endOf(summary).padEnd(26),
    (summary.totalMs === null ? '–' : duration(summary.totalMs)).padStart(8),
    `fb ${summary.firstByteMs === null ? '–' : duration(summary.firstByteMs)}`.padEnd(11),
    `${summary.events ?? '–'} ev`.padStart(7),
    `llm ${summary.llmMs === null ? '–' : duration(summary.llmMs)}`.padEnd(12),
    verdictText(summary, paint),
  ];
  return cells.join('  ');
}

export function verdictText(summary: CvdiagRequestSummary, paint: CvdiagPaint): string {
  const { verdict } = summary.verdict;
  return verdict === 'ok' ? paint.green(verdict) : verdict === 'slow-first-byte' || verdict === 'edge-interference' ? paint.yellow(verdict) : paint.red(verdict);
}

/** The block `cvdiag explain` prints for one request. */
export function explainBlock(summary: CvdiagRequestSummary, paint: CvdiagPaint): string {
  const { verdict } = summary;
  const lines = [
    `${paint.bold(printable(`${shortId(summary.testId)} ${summary.method ?? '?'} ${summary.route ?? '(no route)'}`))}  ${verdictText(summary, paint)}`,
    `  ${printable(verdict.reason)}`,
  ];
  for (const row of verdict.evidence) lines.push(paint.dim(`    ${evidenceLine(row)}`));
  for (const other of verdict.findings.slice(1)) lines.push(`  also ${other.verdict}: ${printable(other.reason)}`);
  if (verdict.unseen.length > 0) lines.push(paint.dim(`  not seen at the tier these rows were written at: ${verdict.unseen.join('; ')}`));
  lines.push(paint.dim(printable(`  test ${summary.testId} · trace ${summary.traceId}`)));
  return lines.join('\n');
}

/** A row, short: its boundary, outcome, time and metadata. */
export function evidenceLine(row: CvdiagRow): string {
  const metadata = JSON.stringify(row.metadata); // JSON escapes control characters
  return `${row.ts.slice(11, 23)} ${row.boundary.replace(/^backend\./, '')} ${row.outcome} ${metadata.length > 160 ? `${metadata.slice(0, 159)}…` : metadata}`;
}
