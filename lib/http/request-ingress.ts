import type { IncomingMessage, ServerResponse } from 'node:http';
import { correlate } from '../correlation/correlate.js';
import { pickEdgeHeaders } from '../correlation/edge-headers.js';
import { tierAllows } from '../envelope/boundaries.js';
import { uuidv7 } from '../envelope/ids.js';
import { scrubPath } from '../scrub/scrub.js';
import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { isSkipDecoratorInUse } from './skip-cvdiag.decorator.js';
import { attachState, ignoreReason, markIgnored, stateOf } from './request-registry.js';
import { RequestState } from './request-state.js';
import { observeResponse } from './response-observer.js';

/**
 * Starts CVDIAG for one request, once, at the first layer that sees it: the
 * server's `request` listener normally; the guard, interceptor or filter when
 * the app serves requests without its own server (serverless adapters).
 * Returns undefined when the request is not instrumented (emitter off, path
 * excluded); then nothing is built and the response is left untouched.
 */
export function beginRequest(
  runtime: CvdiagRuntime,
  request: IncomingMessage,
  response: ServerResponse,
): RequestState | undefined {
  const existing = stateOf(request);
  if (existing || ignoreReason(request)) return existing;
  if (!runtime.isEnabled()) {
    markIgnored(request, 'disabled');
    return undefined;
  }
  const url = typeof request.url === 'string' ? request.url : '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (runtime.isExcluded(path)) {
    markIgnored(request, 'excluded');
    return undefined;
  }

  const headers = request.headers;
  const correlation = correlate(headers['x-test-id'], headers['x-aimock-context'], path, runtime.options);
  const state = new RequestState(
    runtime,
    { ...correlation, traceId: uuidv7(), tier: runtime.tierFor(correlation.slug) },
    request,
    response,
  );
  attachState(request, state);
  observeResponse(state, request, response);
  if (runtime.options.echoTestId) echoTestId(state.testId, response);
  // At default tier the ingress row is never written: do not build it.
  if (!tierAllows(state.tier, 'backend.request.ingress')) return state;
  state.ingress(
    {
      boundary: 'backend.request.ingress',
      outcome: 'info',
      durationMs: null,
      metadata: {
        method: typeof request.method === 'string' ? request.method.slice(0, 32) : 'UNKNOWN',
        path: scrubPath(path),
        content_length: parseContentLength(headers['content-length']),
      },
      edgeHeaders: pickEdgeHeaders((name) => headers[name]),
      parentSpanId: null,
    },
    isSkipDecoratorInUse(),
  );
  return state;
}

/** The `echoTestId` option: the test id as a response header, set before the app writes its head. */
function echoTestId(testId: string, response: ServerResponse): void {
  try {
    if (!response.headersSent) response.setHeader('x-test-id', testId);
  } catch {
    // A response that refuses headers is served as the app made it.
  }
}

function parseContentLength(header: unknown): number | null {
  if (typeof header !== 'string' || !/^\d{1,15}$/.test(header.trim())) return null;
  return Number(header.trim());
}
