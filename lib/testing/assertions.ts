import { describeRows } from './describe-rows.js';
import { isTerminalBoundary } from '../envelope/boundaries.js';
import type { CvdiagBoundary, CvdiagEnvelope, CvdiagTerminationKind } from '../envelope/envelope.types.js';
import { CapturedRequest } from './captured-request.js';
import { lineOf } from './captured-rows.js';
import { assertValidRows, ContractOptions, CvdiagAssertionError } from './contract.js';

/** A boundary by its full name, or without its `backend.` prefix: `'sse.aborted'`. */
export type BoundaryName = CvdiagBoundary | ShortBoundaryName<CvdiagBoundary>;
type ShortBoundaryName<B> = B extends `backend.${infer Short}` ? Short : never;

/** How a request ended: `complete` (response.complete), or the `termination_kind` of its `sse.aborted`. */
export type CvdiagEnding = 'complete' | CvdiagTerminationKind;

/** What the assertions read: a captured request, or rows. */
export type RowsLike = CapturedRequest | readonly CvdiagEnvelope[];

function rowsOf(target: RowsLike): readonly CvdiagEnvelope[] {
  if (target instanceof CapturedRequest) return target.rows;
  if (Array.isArray(target)) return target;
  throw new CvdiagAssertionError(`expected a CapturedRequest (from capture.request(testId)) or an array of rows, received ${typeof target}`);
}

function fullName(name: BoundaryName): CvdiagBoundary {
  return (name.startsWith('backend.') || name.startsWith('cvdiag.') ? name : `backend.${name}`) as CvdiagBoundary;
}

const shortName = (boundary: string) => boundary.replace(/^backend\./, '');

/** The boundaries appear in this order (others may come between them). */
export function assertBoundariesInOrder(target: RowsLike, boundaries: readonly BoundaryName[]): void {
  const rows = rowsOf(target);
  let at = 0;
  for (const [index, name] of boundaries.entries()) {
    const boundary = fullName(name);
    const found = rows.findIndex((row, i) => i >= at && row.boundary === boundary);
    if (found < 0) {
      const anywhere = rows.some((row) => row.boundary === boundary);
      throw new CvdiagAssertionError(
        `expected boundaries in order: ${boundaries.map(shortName).join(' → ')}\n` +
          `${shortName(boundary)} (#${index + 1}) ${anywhere ? 'was written, but not after ' + shortName(fullName(boundaries[index - 1])) : 'was not written'}\n` +
          describeRows(rows),
      );
    }
    at = found + 1;
  }
}

/** The request ended this way: `complete` (optionally with this status), `rst`, `timeout` or `chunk_error`. */
export function assertEndedWith(target: RowsLike, ending: CvdiagEnding, expected: { status?: number } = {}): void {
  const rows = rowsOf(target);
  const terminals = rows.filter((row) => isTerminalBoundary(row.boundary));
  const terminal = terminals[terminals.length - 1];
  const actual: CvdiagEnding | undefined =
    terminal === undefined ? undefined : terminal.boundary === 'backend.response.complete' ? 'complete' : (terminal.metadata.termination_kind as CvdiagTerminationKind);
  const status = terminal?.boundary === 'backend.response.complete' ? (terminal.metadata.http_status as number) : undefined;
  const wanted = `${ending}${expected.status === undefined ? '' : ` ${expected.status}`}`;
  if (actual === undefined) throw new CvdiagAssertionError(`expected the request to end with ${wanted}, but it has no terminal row\n${describeRows(rows)}`);
  if (actual !== ending || (expected.status !== undefined && status !== expected.status)) {
    const got = actual === 'complete' ? `complete ${status}` : `sse.aborted ${actual} after ${String(terminal.metadata.bytes_before_abort)} bytes`;
    throw new CvdiagAssertionError(`expected the request to end with ${wanted}, but it ended with ${got}\n${describeRows(rows)}`);
  }
}

/** Window length for partial leaks: a secret's 12-character piece in a row is a leak too. */
const SECRET_PIECE = 12;

/**
 * No row holds the secret: neither whole nor any 12-character piece of it (a
 * secret cut or partly scrubbed), in any letter case, in the rows as written.
 */
export function assertNoSecret(target: RowsLike, secret: string): void {
  if (typeof secret !== 'string' || secret.length < 4) throw new CvdiagAssertionError('assertNoSecret: the secret must be a string of 4 characters or more');
  const rows = rowsOf(target);
  const lower = secret.toLowerCase();
  for (const row of rows) {
    const text = lineOf(row) ?? JSON.stringify(row);
    const lowerText = text.toLowerCase();
    let leak: string | undefined;
    if (lowerText.includes(lower)) leak = secret;
    for (let i = 0; leak === undefined && i + SECRET_PIECE <= secret.length; i++) {
      if (lowerText.includes(lower.slice(i, i + SECRET_PIECE))) leak = secret.slice(i, i + SECRET_PIECE);
    }
    if (leak !== undefined) {
      throw new CvdiagAssertionError(
        `expected no row to contain the secret, but a ${shortName(row.boundary)} row contains ${leak === secret ? 'it' : `"${leak}" of it`}:\n  ${text.trim().slice(0, 600)}\n${describeRows(rows)}`,
      );
    }
  }
}

/** Every row is valid and every request keeps the invariants (docs/contract.md). */
export function assertCvdiagContract(target: RowsLike, options: ContractOptions = {}): void {
  assertValidRows(rowsOf(target), options);
}
