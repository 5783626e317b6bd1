import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { NODE_OBJECT_KEYS } from '../process-globals.js';
import { stateOf } from './request-registry.js';
import type { RequestState } from './request-state.js';

type BodyMethod = (...args: unknown[]) => unknown;

/** What one observed response needs; kept on the response so the wrappers below can be shared. */
interface Observation {
  state: RequestState;
  request: IncomingMessage;
  write: BodyMethod;
  end: BodyMethod;
  writeHead: BodyMethod;
  stopWatchingTimeout: () => void;
  done: boolean;
}

const OBSERVATION = NODE_OBJECT_KEYS.observation;
type ObservedResponse = ServerResponse & { [OBSERVATION]: Observation };

/**
 * Counts body bytes and decides the terminal row from the raw Node response, so
 * Express, Fastify and `@Res()` handlers are measured the same way. `write`,
 * `end` and `writeHead` are replaced on this one response object (own
 * properties, nothing global) by functions shared by all responses, which
 * always forward their arguments and return value unchanged.
 */
export function observeResponse(state: RequestState, request: IncomingMessage, response: ServerResponse): void {
  const target = response as unknown as { [OBSERVATION]: Observation; write: BodyMethod; end: BodyMethod; writeHead: BodyMethod };
  target[OBSERVATION] = {
    state,
    request,
    write: target.write,
    end: target.end,
    writeHead: target.writeHead,
    stopWatchingTimeout: watchSocketTimeout(request.socket, state),
    done: false,
  };
  target.write = observedWrite as BodyMethod;
  target.end = observedEnd as BodyMethod;
  target.writeHead = observedWriteHead as BodyMethod;
  response.on('finish', onFinish);
  response.on('close', onClose);
  request.on('close', onRequestClose);
}

function observedWrite(this: ObservedResponse, chunk?: unknown, encoding?: unknown): unknown {
  const observation = this[OBSERVATION];
  observeChunk(observation.state, chunk, encoding, false);
  // `arguments`, not a rest parameter: forwards exactly what the caller passed, without an array copy.
  return observation.write.apply(this, arguments as unknown as unknown[]);
}

function observedEnd(this: ObservedResponse, chunk?: unknown, encoding?: unknown): unknown {
  const observation = this[OBSERVATION];
  if (typeof chunk !== 'function') observeChunk(observation.state, chunk, encoding, true);
  return observation.end.apply(this, arguments as unknown as unknown[]);
}

/**
 * Headers given to writeHead() (Fastify passes all of them there) are sent
 * without being stored, so getHeader() cannot see them: keep the ones CVDIAG reads.
 */
function observedWriteHead(this: ObservedResponse, _status?: unknown, reasonOrHeaders?: unknown, headers?: unknown): unknown {
  const observation = this[OBSERVATION];
  try {
    observation.state.recordHeadHeaders(typeof reasonOrHeaders === 'object' ? reasonOrHeaders : headers);
  } catch (error) {
    observation.state.runtime.faults.warn('write-head', 'response headers could not be read', error);
  }
  return observation.writeHead.apply(this, arguments as unknown as unknown[]);
}

// 'finish' means every byte was handed to the OS, unless the response was
// destroyed first: Node still finishes an end() called after destroy() (Nest
// does that when it drops a client that stopped reading). A 'close' without a
// 'finish' before it is a response that never finished.
function onFinish(this: ObservedResponse): void {
  terminate(this, !this.destroyed);
}

function onClose(this: ObservedResponse): void {
  terminate(this, false);
}

/**
 * A pipelined request queued behind another response has a response with no
 * socket yet: when the connection dies, Node destroys the request but that
 * response never emits 'finish' or 'close'. A request closing on a destroyed
 * socket, its response unfinished, is a response that never finished. (A
 * request also closes once its body was read; its socket is alive then.)
 */
function onRequestClose(this: IncomingMessage): void {
  const response = stateOf(this)?.rawResponse as ObservedResponse | undefined;
  if (response === undefined || response.writableFinished || this.socket?.destroyed !== true) return;
  terminate(response, false);
}

function terminate(response: ObservedResponse, finished: boolean): void {
  const observation = response[OBSERVATION];
  if (observation.done) return;
  observation.done = true;
  response.removeListener('finish', onFinish);
  response.removeListener('close', onClose);
  observation.request.removeListener('close', onRequestClose);
  observation.stopWatchingTimeout();
  try {
    observation.state.terminate(finished);
  } catch (error) {
    observation.state.runtime.faults.warn('terminal', 'the terminal row of a request could not be written', error);
  }
}

function observeChunk(state: RequestState, chunk: unknown, encoding: unknown, viaEnd: boolean): void {
  if (chunk === undefined || chunk === null) return;
  try {
    state.body.onBodyWrite(chunk, encoding, viaEnd);
  } catch (error) {
    state.runtime.faults.warn('write', 'a body write could not be observed', error);
  }
}

const SOCKET_REQUESTS = NODE_OBJECT_KEYS.socketRequests;
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
