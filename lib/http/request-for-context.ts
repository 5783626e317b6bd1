import type { ArgumentsHost } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { beginRequest } from './request-ingress.js';
import { rawRequestOf, rawResponseOf } from './request-registry.js';
import type { RequestState } from './request-state.js';

/**
 * The request state for an HTTP enhancer's host, started here if no earlier
 * layer saw the request. Undefined for other contexts (RPC, WebSocket, GraphQL)
 * and for requests that are not instrumented.
 */
export function requestStateFor(runtime: CvdiagRuntime, host: ArgumentsHost): RequestState | undefined {
  if (host.getType() !== 'http') return undefined;
  const http = host.switchToHttp();
  const request = rawRequestOf(http.getRequest());
  const response = rawResponseOf(http.getResponse()) as ServerResponse | undefined;
  if (!request || typeof response?.on !== 'function') return undefined;
  return beginRequest(runtime, request as IncomingMessage, response);
}
