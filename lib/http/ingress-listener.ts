import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { NODE_OBJECT_KEYS } from '../process-globals.js';
import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { beginRequest } from './request-ingress.js';

const ATTACHED = NODE_OBJECT_KEYS.ingressListener;

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
