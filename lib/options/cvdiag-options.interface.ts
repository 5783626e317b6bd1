import { CvdiagTier } from '../envelope/envelope.types.js';
import { CvdiagSink } from '../sinks/cvdiag-sink.interface.js';

export interface CvdiagModuleOptions {
  /**
   * Turns the emitter on or off. Unset: on when `CVDIAG_BACKEND_EMITTER` is
   * `1`, `true`, `yes` or `on` (any case), read once per request.
   */
  enabled?: boolean;
  /**
   * Detail level. Unset: `debug` when `CVDIAG_DEBUG=1`, `verbose` when
   * `CVDIAG_VERBOSE=1`, else `default`. Debug is refused outside development-like
   * deployments (see README).
   */
  tier?: CvdiagTier;
  /** Service slug used when a request has no valid `x-aimock-context`. Pattern `^[a-z][a-z0-9-]{0,63}$`. */
  slug?: string;
  /** Interval of `backend.llm.call.heartbeat` rows, in ms. Default 10000. */
  heartbeatIntervalMs?: number;
  /** Adopt a non-UUIDv7 `x-test-id`, reduced to `[a-z0-9._-]{1,128}`, instead of minting one. Default false. */
  adoptTestId?: boolean;
  /**
   * Request paths that are not instrumented at all (health checks, metrics).
   * A string matches the path exactly, or every path below it when it ends in
   * `/*`; a RegExp is tested against the path without its query string.
   */
  exclude?: Array<string | RegExp>;
  /** Where rows go. Default: one line per row on stdout. */
  sinks?: CvdiagSink[];
  /**
   * Adds an `x-test-id` response header with the request's test id (the one it
   * sent, or the one minted for it), so a client that sent none can still find
   * its rows. Default false: responses are left exactly as the app makes them.
   */
  echoTestId?: boolean;
}

/** Options after validation, with defaults applied. */
export interface ResolvedCvdiagOptions {
  enabled: boolean | undefined;
  tier: CvdiagTier | undefined;
  slug: string | undefined;
  heartbeatIntervalMs: number;
  adoptTestId: boolean;
  exclude: Array<string | RegExp>;
  sinks: CvdiagSink[];
  echoTestId: boolean;
}

/**
 * A class that makes the options, for `CvdiagModule.forRootAsync({ useClass })`
 * (or `useExisting`): Nest creates it with its dependencies and calls this method.
 */
export interface CvdiagOptionsFactory {
  createCvdiagOptions(): CvdiagModuleOptions | Promise<CvdiagModuleOptions>;
}
