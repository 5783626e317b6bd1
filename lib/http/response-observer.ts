import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { NODE_OBJECT_KEYS } from '../process-globals.js';
import type { RequestState } from './request-state.js';

type BodyMethod = (...args: unknown[]) => unknown;

/** What one observed response needs; kept on the response so the wrappers below can be shared. */
interface Observation {
  state: RequestState;
  write: BodyMethod;
  end: BodyMethod;
  writeHead: BodyMethod;
  stopWatchingSocket: () => void;
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
    write: target.write,
    end: target.end,
    writeHead: target.writeHead,
    stopWatchingSocket: watchSocket(request.socket, state),
    done: false,
  };
  target.write = observedWrite as BodyMethod;
  target.end = observedEnd as BodyMethod;
  target.writeHead = observedWriteHead as BodyMethod;
  response.on('finish', onFinish);
  response.on('close', onClose);
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

function terminate(response: ObservedResponse, finished: boolean): void {
  const observation = response[OBSERVATION];
  if (observation.done) return;
  observation.done = true;
  response.removeListener('finish', onFinish);
  response.removeListener('close', onClose);
  observation.stopWatchingSocket();
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
 * The requests of one socket (pipelining puts several on it), with one pair of
 * listeners per socket however many it carries:
 * - 'timeout': the server's socket timeout fired, so their responses end as
 *   timed out (a socket listener does not change Node's handling of the
 *   timeout, which looks only at the request, response and server);
 * - 'close': a request queued behind another response has a response with no
 *   socket yet, which never emits 'finish' or 'close' when the connection dies
 *   (nor does its request when its body was already read): every request the
 *   socket still carries ends as not finished.
 */
function watchSocket(socket: Socket | null | undefined, state: RequestState): () => void {
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
    watched.once('close', () => {
      for (const pending of [...set]) {
        const response = pending.rawResponse as ObservedResponse;
        terminate(response, response.writableFinished && !response.destroyed);
      }
    });
  }
  requests.add(state);
  return () => requests.delete(state);
}
