import { AsyncLocalStorage } from 'node:async_hooks';
import type { CvdiagStore } from './context/cvdiag-storage.js';
import type { CvdiagRuntime } from './runtime/cvdiag-runtime.js';

/**
 * Everything CVDIAG keeps once per process, named in one place.
 *
 * The package ships an ESM and a CommonJS build, and one process can load both
 * (an ESM app whose CommonJS dependency `require`s nestjs-cvdiag). Each build
 * then has its own copy of every module, so state that must be one per process
 * does not live in module variables: it lives on `globalThis` under a
 * registered symbol, and the properties CVDIAG puts on Node objects use
 * registered symbols too. Whichever build runs first creates it; the other
 * finds it. The `v1` in the keys is the shape of what is stored: a release
 * that changes it changes the key, so two versions never share a
 * misunderstood object.
 *
 * Module-level caches elsewhere (id pool, timestamp string, stack file names,
 * route facts, event names, the stream parser's scratch buffer) hold no
 * decisions, only derived values or scratch space, and may be one per build.
 */
export interface ProcessGlobals {
  /** The AsyncLocalStorage of requests and decorated calls (see context/cvdiag-storage.ts). */
  readonly storage: AsyncLocalStorage<CvdiagStore>;
  /** Runtimes of the applications running now, oldest first (see runtime/runtime-registry.ts). */
  readonly runtimes: CvdiagRuntime[];
}

const GLOBALS_KEY = Symbol.for('nestjs-cvdiag.process-globals.v2');

type Holder = typeof globalThis & { [GLOBALS_KEY]?: ProcessGlobals };

export const processGlobals: ProcessGlobals = ((globalThis as Holder)[GLOBALS_KEY] ??= {
  storage: new AsyncLocalStorage<CvdiagStore>(),
  runtimes: [],
});

/** Keys of the properties CVDIAG puts on Node's request, response, socket and server objects. */
export const NODE_OBJECT_KEYS = Object.freeze({
  /**
   * IncomingMessage → its RequestState, or why it is left alone (written by
   * request/ingress.ts, read through request/request-lookup.ts only). A
   * property of the request, not a WeakMap keyed by it: the state refers back
   * to its request, and V8's young-generation collector keeps such WeakMap
   * entries alive, so every request of a busy server was promoted to the old
   * generation and each scavenge took 10 to 40 ms instead of 1 (bench/analysis.md).
   */
  requestState: Symbol.for('nestjs-cvdiag.request-state.v2'),
  /** ServerResponse → what watches its writes (response/response-watch.ts). */
  observation: Symbol.for('nestjs-cvdiag.observation.v2'),
  /** Socket → the requests it carries, for its timeout. */
  socketRequests: Symbol.for('nestjs-cvdiag.socket-requests.v2'),
  /**
   * process.stdout → whether it failed (EPIPE: its reader went away), watched by
   * one 'error' listener for every StdoutSink (sinks/stdout.sink.ts). On the
   * stream itself, not on globalThis: test runners give each test file its own
   * globalThis but share process.stdout.
   */
  stdoutHealth: Symbol.for('nestjs-cvdiag.stdout-health.v1'),
  /** http.Server → the ingress listener. */
  ingressListener: Symbol.for('nestjs-cvdiag.ingress-listener.v2'),
});
