import type { ArgumentsHost } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { cvdiagStorage } from '../context/cvdiag-storage.js';
import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { beginRequest, IgnoreReason, RawRequest, REQUEST_STATE } from './ingress.js';
import type { RequestState } from './request-state.js';

/**
 * How every layer finds a request's state: keyed by the raw Node request
 * (a property the ingress listener sets, see process-globals.ts).
 */

/** The state of a raw request, or why it is left alone, or undefined if CVDIAG has not seen it. */
export function lookupRaw(raw: IncomingMessage): RequestState | IgnoreReason | undefined {
  return (raw as RawRequest)[REQUEST_STATE];
}

/**
 * The request state for an enhancer's host (guard, interceptor, filter, or
 * the host given to `CvdiagService.reportError`). Undefined for other
 * contexts (RPC, WebSocket, GraphQL) and for requests that are not
 * instrumented.
 *
 * The fallback for requests no server listener saw (serverless adapters that
 * serve without their own server) is here and only here: the first enhancer
 * that sees such a request begins it.
 */
export function requestFor(runtime: CvdiagRuntime, host: ArgumentsHost): RequestState | undefined {
  if (host.getType() !== 'http') return undefined;
  const http = host.switchToHttp();
  const raw = rawRequestOf(http.getRequest());
  if (!raw) return undefined;
  const known = lookupRaw(raw);
  if (known !== undefined) return typeof known === 'string' ? undefined : known;
  const response = rawResponseOf(http.getResponse()) as ServerResponse | undefined;
  if (typeof response?.on !== 'function') return undefined;
  return beginRequest(runtime, raw, response);
}

/** The request whose handler, stream or decorated call is running now (AsyncLocalStorage), if instrumented. */
export function currentRequest(): RequestState | undefined {
  return cvdiagStorage.getStore()?.context?.asRequest() ?? undefined;
}

/** Nest hands enhancers a FastifyRequest or an Express request; both lead to the Node request. */
export function rawRequestOf(request: unknown): IncomingMessage | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  const raw = (request as { raw?: unknown }).raw;
  return (typeof raw === 'object' && raw !== null ? raw : request) as IncomingMessage;
}

function rawResponseOf(response: unknown): unknown {
  const raw = (response as { raw?: unknown } | null)?.raw;
  return typeof raw === 'object' && raw !== null ? raw : response;
}
