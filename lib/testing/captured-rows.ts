import { parseRowLine } from '../analysis/rows.js';
import type { CvdiagRow } from '../envelope/envelope.types.js';

/** The exact line each captured row was read from, for checks of the written form (key order, size). */
const lines = new WeakMap<object, string>();

/** The line (`CVDIAG {…}\n`) a row of the test kit was read from; undefined for rows built otherwise. */
export function lineOf(row: object): string | undefined {
  return lines.get(row);
}

/** One written line as a row, remembering its line; undefined when it is not a CVDIAG row. */
export function readRowLine(line: string): CvdiagRow | undefined {
  const row = parseRowLine(line);
  if (row) lines.set(row, line.endsWith('\n') ? line : `${line}\n`);
  return row;
}

/**
 * Every CVDIAG row in some captured output (a child process's stdout, a log
 * file's text), oldest first. Other lines are skipped.
 */
export function rowsFromOutput(text: string): CvdiagRow[] {
  const rows: CvdiagRow[] = [];
  for (const line of text.split('\n')) {
    const row = readRowLine(line);
    if (row) rows.push(row);
  }
  return rows;
}
