import type { IncomingMessage } from 'node:http';
import { NODE_OBJECT_KEYS } from '../process-globals.js';
import type { RequestState } from './request-state.js';

const STATE = NODE_OBJECT_KEYS.requestState;

type Tagged = IncomingMessage & { [STATE]?: RequestState };

/** Nest hands enhancers a FastifyRequest or an Express request; both lead to the Node request. */
export function rawRequestOf(request: unknown): IncomingMessage | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  const raw = (request as { raw?: unknown }).raw;
  return (typeof raw === 'object' && raw !== null ? raw : request) as IncomingMessage;
}

export function rawResponseOf<T>(response: T): T {
  const raw = (response as { raw?: unknown } | null)?.raw;
  return (typeof raw === 'object' && raw !== null ? raw : response) as T;
}

export function attachState(raw: IncomingMessage, state: RequestState): void {
  Object.defineProperty(raw, STATE, { value: state, enumerable: false, configurable: true });
}

export function stateOf(raw: IncomingMessage | undefined): RequestState | undefined {
  return raw ? (raw as Tagged)[STATE] : undefined;
}

/** Why CVDIAG left a request alone: the emitter was off, or its path is excluded. */
export type IgnoreReason = 'disabled' | 'excluded';

const IGNORED = NODE_OBJECT_KEYS.ignored;

/** Marks a request CVDIAG decided not to instrument, so later layers do not start it. */
export function markIgnored(raw: IncomingMessage, reason: IgnoreReason): void {
  Object.defineProperty(raw, IGNORED, { value: reason, enumerable: false, configurable: true });
}

export function ignoreReason(raw: IncomingMessage): IgnoreReason | undefined {
  return (raw as IncomingMessage & { [IGNORED]?: IgnoreReason })[IGNORED];
}
