import { isTerminalBoundary } from '../envelope/boundaries.js';
import type { CvdiagEnvelope, CvdiagRow } from '../envelope/envelope.types.js';

/** What starts a CVDIAG line: `CVDIAG {…}`. */
export const ROW_PREFIX = 'CVDIAG ';

/** A written line (`CVDIAG {…}`, with or without its newline) as a row, or undefined when it is not one. */
export function parseRowLine(line: string): CvdiagRow | undefined {
  const start = line.indexOf(ROW_PREFIX + '{');
  if (start < 0) return undefined;
  try {
    const row = JSON.parse(line.slice(start + ROW_PREFIX.length)) as CvdiagRow;
    return typeof row === 'object' && row !== null && typeof row.boundary === 'string' ? row : undefined;
  } catch {
    return undefined;
  }
}

/** Rows grouped by request (`trace_id`), each group oldest first, groups in order of their first row. */
export function groupByTrace<Row extends CvdiagEnvelope>(rows: readonly Row[]): Map<string, Row[]> {
  const traces = new Map<string, Row[]>();
  for (const row of rows) {
    const trace = traces.get(row.trace_id);
    if (trace) trace.push(row);
    else traces.set(row.trace_id, [row]);
  }
  return traces;
}

/** The request's terminal row (`response.complete` or `sse.aborted`), if written. */
export function terminalOf<Row extends CvdiagEnvelope>(trace: readonly Row[]): Row | undefined {
  return trace.find((row) => isTerminalBoundary(row.boundary));
}

/**
 * A request is settled when its terminal row is written and no work it
 * started is still open: every `agent.enter` has its `agent.exit`, every
 * `llm.call.start` its `llm.call.response` (those may follow the terminal).
 */
export function isSettled(trace: readonly CvdiagEnvelope[]): boolean {
  let open = 0;
  let terminal = false;
  for (const row of trace) {
    if (row.boundary === 'backend.agent.enter' || row.boundary === 'backend.llm.call.start') open++;
    else if (row.boundary === 'backend.agent.exit' || row.boundary === 'backend.llm.call.response') open--;
    else if (isTerminalBoundary(row.boundary)) terminal = true;
  }
  return terminal && open <= 0;
}
