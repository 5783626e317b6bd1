import { groupByTrace, terminalOf } from '../analysis/rows.js';
import { describeRows } from './describe-rows.js';
import type { CvdiagBoundary, CvdiagRow, CvdiagTerminalBoundary } from '../envelope/envelope.types.js';

/**
 * The rows of one test id: usually one request, possibly several (a test that
 * sends more than one request with the same `x-test-id`).
 */
export class CapturedRequest {
  /** The rows of each request (trace), in order of their first row. */
  readonly requests: ReadonlyArray<readonly CvdiagRow[]>;

  constructor(
    readonly testId: string,
    /** Every row of this test id, oldest first. */
    readonly rows: readonly CvdiagRow[],
  ) {
    this.requests = [...groupByTrace(rows).values()];
  }

  /** The terminal row (`response.complete` or `sse.aborted`) of the last request, if written. */
  get terminal(): CvdiagRow<CvdiagTerminalBoundary> | undefined {
    const last = this.requests[this.requests.length - 1];
    return last ? (terminalOf(last) as CvdiagRow<CvdiagTerminalBoundary> | undefined) : undefined;
  }

  /** The boundaries, in the order their rows were written. */
  boundaries(): CvdiagBoundary[] {
    return this.rows.map((row) => row.boundary);
  }

  /** The first row of that boundary, typed by it. */
  first<B extends CvdiagBoundary>(boundary: B): CvdiagRow<B> | undefined {
    return this.rows.find((row): row is CvdiagRow<B> => row.boundary === boundary);
  }

  /** Every row of that boundary, typed by it. */
  all<B extends CvdiagBoundary>(boundary: B): Array<CvdiagRow<B>> {
    return this.rows.filter((row): row is CvdiagRow<B> => row.boundary === boundary);
  }

  /** The readable timeline the kit prints when an assertion fails. */
  timeline(): string {
    return describeRows(this.rows);
  }
}
