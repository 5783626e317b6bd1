import { groupByTrace } from '../analysis/rows.js';
import { renderTimeline } from '../analysis/timeline.js';
import { judge } from '../analysis/verdict.js';
import type { CvdiagEnvelope, CvdiagRow } from '../envelope/envelope.types.js';

/** Rows as a failure message shows them: each request's timeline and its verdict, as `cvdiag show` prints them. */
export function describeRows(rows: readonly CvdiagEnvelope[]): string {
  if (rows.length === 0) return '(no rows)';
  return [...groupByTrace(rows).values()]
    .map((trace) => {
      // Rows CVDIAG wrote: each one's metadata is its boundary's (docs/contract.md section 3).
      const verdict = judge(trace as CvdiagRow[]);
      return `${renderTimeline(trace)}\nverdict ${verdict.verdict}: ${verdict.reason}`;
    })
    .join('\n\n');
}
