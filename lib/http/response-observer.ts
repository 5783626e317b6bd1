import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestState } from './request-state';

type BodyMethod = (...args: unknown[]) => unknown;

/**
 * Counts body bytes and decides the terminal row from the raw Node response, so
 * Express, Fastify and `@Res()` handlers are measured the same way. `write` and
 * `end` are wrapped on this one response object (own properties, nothing global)
 * and always forward their arguments and return value unchanged.
 */
export function observeResponse(state: RequestState, request: IncomingMessage, response: ServerResponse): void {
  const target = response as unknown as { write: BodyMethod; end: BodyMethod; writeHead: BodyMethod };
  const originalWrite = target.write;
  const originalEnd = target.end;
  const originalWriteHead = target.writeHead;

  // Headers given to writeHead() (Fastify passes all of them there) are sent
  // without being stored, so getHeader() cannot see them: keep the ones CVDIAG reads.
  target.writeHead = function cvdiagWriteHead(this: unknown, ...args: unknown[]) {
    try {
      state.recordHeadHeaders(typeof args[1] === 'object' ? args[1] : args[2]);
    } catch (error) {
      state.runtime.faults.warn('write-head', 'response headers could not be read', error);
    }
    return originalWriteHead.apply(this, args);
  };

  target.write = function cvdiagWrite(this: unknown, ...args: unknown[]) {
    observeChunk(state, args[0], args[1], false);
    return originalWrite.apply(this, args);
  };
  target.end = function cvdiagEnd(this: unknown, ...args: unknown[]) {
    if (typeof args[0] !== 'function') observeChunk(state, args[0], args[1], true);
    return originalEnd.apply(this, args);
  };

  const stopWatchingTimeout = watchSocketTimeout(request.socket, state);

  // 'finish' means every byte was handed to the OS, unless the response was
  // destroyed first: Node still finishes an end() called after destroy() (Nest
  // does that when it drops a client that stopped reading). A 'close' without a
  // 'finish' before it is a response that never finished.
  const onEnd = (finished: boolean): void => {
    response.removeListener('finish', onFinish);
    response.removeListener('close', onClose);
    stopWatchingTimeout();
    try {
      state.terminate(finished);
    } catch (error) {
      state.runtime.faults.warn('terminal', 'the terminal row of a request could not be written', error);
    }
  };
  const onFinish = (): void => onEnd(!response.destroyed);
  const onClose = (): void => onEnd(false);
  response.on('finish', onFinish);
  response.on('close', onClose);
}

function observeChunk(state: RequestState, chunk: unknown, encoding: unknown, viaEnd: boolean): void {
  if (chunk === undefined || chunk === null) return;
  try {
    state.onBodyWrite(chunk, encoding, viaEnd);
  } catch (error) {
    state.runtime.faults.warn('write', 'a body write could not be observed', error);
  }
}

const SOCKET_REQUESTS = Symbol('cvdiag.socketRequests');
type WatchedSocket = Socket & { [SOCKET_REQUESTS]?: Set<RequestState> };

/**
 * Marks the requests of a socket as timed out when the server's socket timeout
 * fires. One listener per socket, however many requests it carries (pipelining
 * would otherwise trip the max-listeners warning). A socket 'timeout' listener
 * does not change Node's handling of the timeout, which only looks at listeners
 * on the request, the response and the server.
 */
function watchSocketTimeout(socket: Socket | null | undefined, state: RequestState): () => void {
  const watched = socket as WatchedSocket | null | undefined;
  if (!watched || typeof watched.on !== 'function') return () => undefined;
  let requests = watched[SOCKET_REQUESTS];
  if (!requests) {
    const set = new Set<RequestState>();
    requests = set;
    watched[SOCKET_REQUESTS] = set;
    watched.on('timeout', () => {
      for (const pending of set) pending.markTimedOut();
    });
  }
  requests.add(state);
  return () => requests.delete(state);
}
