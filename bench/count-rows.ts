import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const TERMINALS = new Set(['backend.response.complete', 'backend.sse.aborted']);

export interface RowCounts {
  /** CVDIAG lines in the file. */
  rows: number;
  /** Terminal rows by boundary and termination kind, e.g. `backend.sse.aborted/rst`. */
  terminalsByKind: Record<string, number>;
  /** Terminal rows per test_id, when asked for. */
  terminalsByTestId?: Map<string, number>;
  /** Lines that start with CVDIAG but are not valid JSON: must be 0. */
  malformed: number;
}

/**
 * Reads a server's stdout file line by line (it can be tens of MB) and counts
 * CVDIAG rows, parsing only the terminal ones when per-request counts are needed.
 */
export async function countRows(file: string, perTestId: boolean): Promise<RowCounts> {
  const counts: RowCounts = { rows: 0, terminalsByKind: {}, malformed: 0 };
  if (perTestId) counts.terminalsByTestId = new Map();
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.startsWith('CVDIAG ')) continue;
    counts.rows++;
    if (!perTestId && !line.includes('"backend.response.complete"') && !line.includes('"backend.sse.aborted"')) continue;
    let row: { boundary?: string; test_id?: string; metadata?: { termination_kind?: string } };
    try {
      row = JSON.parse(line.slice(7));
    } catch {
      counts.malformed++;
      continue;
    }
    if (!row.boundary || !TERMINALS.has(row.boundary)) continue;
    const kind = row.boundary === 'backend.sse.aborted' ? `${row.boundary}/${row.metadata?.termination_kind}` : row.boundary;
    counts.terminalsByKind[kind] = (counts.terminalsByKind[kind] ?? 0) + 1;
    if (counts.terminalsByTestId && row.test_id) {
      counts.terminalsByTestId.set(row.test_id, (counts.terminalsByTestId.get(row.test_id) ?? 0) + 1);
    }
  }
  return counts;
}
