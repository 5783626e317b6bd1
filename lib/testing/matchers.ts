import type { ContractOptions } from './contract.js';
import { CvdiagAssertionError } from './contract.js';
import {
  assertBoundariesInOrder,
  assertCvdiagContract,
  assertEndedWith,
  assertNoSecret,
  BoundaryName,
  CvdiagEnding,
  RowsLike,
} from './assertions.js';

/** The matchers `expect.extend(cvdiagMatchers)` adds, for a CapturedRequest or an array of rows. */
export interface CvdiagMatchers<R = unknown> {
  /** These boundaries were written in this order (others may come between): `['request.ingress', 'sse.event', 'response.complete']`. */
  toHaveBoundariesInOrder(boundaries: readonly BoundaryName[]): R;
  /** The request ended `complete` (optionally `{ status }`), or aborted with `rst`, `timeout` or `chunk_error`. */
  toHaveEnded(ending: CvdiagEnding, expected?: { status?: number }): R;
  /** No row holds the secret, whole or in part. */
  toContainNoSecret(secret: string): R;
  /** Every row is valid and every request keeps the invariants. */
  toSatisfyCvdiagContract(options?: ContractOptions): R;
}

interface MatcherResult {
  pass: boolean;
  message(): string;
}

/** A framework-free assertion as a Jest/Vitest matcher: its error message is the failure message. */
function matcher<Args extends unknown[]>(
  assert: (received: RowsLike, ...args: Args) => void,
  negated: (...args: Args) => string,
): (received: RowsLike, ...args: Args) => MatcherResult {
  return (received, ...args) => {
    try {
      assert(received, ...args);
      return { pass: true, message: () => `expected ${negated(...args)}, but it does` };
    } catch (error) {
      if (error instanceof CvdiagAssertionError) return { pass: false, message: () => error.message };
      throw error;
    }
  };
}

/** Register once per test file or setup file: `expect.extend(cvdiagMatchers)`. */
export const cvdiagMatchers: { [Name in keyof CvdiagMatchers]: (received: RowsLike, ...args: Parameters<CvdiagMatchers[Name]>) => MatcherResult } = {
  toHaveBoundariesInOrder: matcher(assertBoundariesInOrder, (boundaries) => `the request not to have ${boundaries.join(' → ')} in order`),
  toHaveEnded: matcher(assertEndedWith, (ending) => `the request not to end with ${ending}`),
  toContainNoSecret: matcher(assertNoSecret, () => 'a row to contain the secret'),
  toSatisfyCvdiagContract: matcher(assertCvdiagContract, () => 'the rows to break the contract'),
};
