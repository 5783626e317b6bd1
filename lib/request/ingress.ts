import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { correlate } from '../correlation/correlate.js';
import { NODE_OBJECT_KEYS } from '../process-globals.js';
import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { RequestState } from './request-state.js';

const ATTACHED = NODE_OBJECT_KEYS.ingressListener;
export const REQUEST_STATE = NODE_OBJECT_KEYS.requestState;

/** Why CVDIAG left a request alone: the emitter was off, or its path is excluded. */
export type IgnoreReason = 'disabled' | 'excluded';

/** A raw request as CVDIAG marks it (read through request-lookup.ts). */
export type RawRequest = IncomingMessage & { [REQUEST_STATE]?: RequestState | IgnoreReason };

type TaggedServer = Server & { [ATTACHED]?: (req: IncomingMessage, res: ServerResponse) => void };

/**
 * Starts CVDIAG for every request the server receives, before Express, Fastify
 * or any middleware runs: a listener placed first on the Node server's
 * 'request' event. This is the only way to see requests that never reach a Nest
 * enhancer (unknown routes, body-parser and middleware errors) on both adapters,
 * and, unlike the adapters' single-slot request hooks, it cannot displace
 * another tool's hook. Returns a function that removes it.
 */
export function attachIngressListener(server: unknown, runtime: CvdiagRuntime): () => void {
  const target = server as TaggedServer | undefined;
  if (!target || typeof target.prependListener !== 'function' || target[ATTACHED]) return () => undefined;
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    try {
      beginRequest(runtime, request, response);
    } catch (error) {
      runtime.faults.warn('ingress', 'a request could not be instrumented; it is served normally', error);
    }
  };
  target[ATTACHED] = listener;
  target.prependListener('request', listener);
  return () => {
    target.removeListener('request', listener);
    if (target[ATTACHED] === listener) delete target[ATTACHED];
  };
}

/**
 * Starts CVDIAG for one request CVDIAG has not seen: decides whether it is
 * instrumented at all (emitter on, path not excluded), correlates it, and
 * hands it to a new RequestState, which watches its response. Returns
 * undefined when it is left alone; then nothing is built and the response is
 * untouched.
 */
export function beginRequest(runtime: CvdiagRuntime, request: IncomingMessage, response: ServerResponse): RequestState | undefined {
  // Once per request, whoever asks (a response watched twice would call its own wrappers).
  const known = (request as RawRequest)[REQUEST_STATE];
  if (known !== undefined) return typeof known === 'string' ? undefined : known;
  if (!runtime.isEnabled()) {
    mark(request, 'disabled');
    return undefined;
  }
  const url = typeof request.url === 'string' ? request.url : '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (runtime.isExcluded(path)) {
    mark(request, 'excluded');
    return undefined;
  }
  const headers = request.headers;
  const state = new RequestState(runtime, correlate(headers['x-test-id'], headers['x-aimock-context'], path, runtime), request, response);
  mark(request, state);
  if (runtime.options.echoTestId) echoTestId(state.testId, response);
  state.start(path);
  return state;
}

/** Keeps the state (or why there is none) on the request, not enumerable: `{...req}` and logs of it do not carry it. */
function mark(request: IncomingMessage, value: RequestState | IgnoreReason): void {
  Object.defineProperty(request, REQUEST_STATE, { value, configurable: true, writable: true, enumerable: false });
}

/** The `echoTestId` option: the test id as a response header, set before the app writes its head. */
function echoTestId(testId: string, response: ServerResponse): void {
  try {
    if (!response.headersSent) response.setHeader('x-test-id', testId);
  } catch {
    // A response that refuses headers is served as the app made it.
  }
}
