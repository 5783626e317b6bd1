import type { ArgumentsHost } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { beginRequest } from './request-ingress.js';
import { rawRequestOf, rawResponseOf } from './request-registry.js';
import type { RequestState } from './request-state.js';

function handlerOf(host: ArgumentsHost): unknown {
  const getHandler = (host as { getHandler?: () => unknown }).getHandler;
  return typeof getHandler === 'function' ? getHandler.call(host) : undefined;
}

/**
 * The request state for an HTTP enhancer's host, started here if no earlier
 * layer saw the request. Undefined for other contexts (RPC, WebSocket, GraphQL)
 * and for requests that are not instrumented.
 */
export function requestStateFor(runtime: CvdiagRuntime, host: ArgumentsHost): RequestState | undefined {
  if (host.getType() !== 'http') return undefined;
  const http = host.switchToHttp();
  const adapterRequest: unknown = http.getRequest();
  const request = rawRequestOf(adapterRequest);
  const response = rawResponseOf(http.getResponse()) as ServerResponse | undefined;
  if (!request || typeof response?.on !== 'function') return undefined;
  const state = beginRequest(runtime, request as IncomingMessage, response);
  // An execution context with a handler (the interceptor, a guard) means Nest
  // matched a route; its template is read at the end. Exception filters get a
  // host without one, like Nest's not-found handler (on Express itself a
  // route, `*path`), so a request rejected before the interceptor has no route.
  if (state && state.routedRequest === undefined && typeof handlerOf(host) === 'function') state.routedRequest = adapterRequest;
  return state;
}
