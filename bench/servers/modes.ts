/**
 * What a server under test runs: no module, the module switched off, or on at
 * a tier; or, without CVDIAG, one of the reference points.
 */
export type ModuleMode = 'none' | 'disabled' | CvdiagOnMode | ReferenceMode;

/**
 * `-coalesced`: with `new StdoutSink({ coalesce: true })` (one write per
 * event-loop turn); `-batched`: with `coalesce: { maxDelayMs: BATCH_DELAY_MS }`
 * (rows of many requests per write); `default-otel`: default tier with
 * `nestjs-cvdiag/otel`'s sink beside stdout (batch processor, spans discarded).
 */
export type CvdiagOnMode = 'default' | 'debug' | 'default-coalesced' | 'debug-coalesced' | 'default-batched' | 'debug-batched' | 'default-otel';

/** The hold bound of the `-batched` modes. */
export const BATCH_DELAY_MS = 10;

/**
 * Not CVDIAG: what any library built the same way costs, measured beside it.
 * - `noop-interceptor`: one global interceptor that only calls `next.handle()`
 *   (Nest's interceptor pipeline, paid by every app with a global interceptor);
 * - `als-interceptor`: the same interceptor running the handler and its stream
 *   in an AsyncLocalStorage store, as request-context libraries do;
 * - `otel-http`: OpenTelemetry's `instrumentation-http` alone, batch processor,
 *   spans discarded (table 2);
 * - `otel`: OpenTelemetry as the issue of record asks for it: `sdk-trace-node`
 *   with `instrumentation-http` and `instrumentation-nestjs-core`, a batch
 *   processor and the in-memory exporter (table 2a). The Nest instrumentation
 *   supports Nest below 12, so on these Nest 12 servers it loads and stays
 *   inactive: HTTP spans only;
 * - `pino`: nestjs-pino's request logging with its default options (one line per
 *   request to stdout), bound to `{*path}` on Fastify, where its default route
 *   pattern matches no request on platform-fastify 12;
 * - `floor`: one row per request and nothing else: a listener first on the
 *   server's 'request' event that, when the response finishes, builds an
 *   envelope-shaped object and writes it as one line to stdout.
 */
export type ReferenceMode = 'noop-interceptor' | 'als-interceptor' | 'otel-http' | 'otel' | 'pino' | 'floor';

/** The reference rows of table 2 (autocannon). */
export const REFERENCE_MODES: readonly ReferenceMode[] = ['noop-interceptor', 'als-interceptor', 'otel-http'];

const ALL_REFERENCE_MODES: readonly string[] = ['noop-interceptor', 'als-interceptor', 'otel-http', 'otel', 'pino', 'floor'];

export function isReferenceMode(mode: ModuleMode): mode is ReferenceMode {
  return ALL_REFERENCE_MODES.includes(mode);
}

/** Modes whose server process gets OpenTelemetry preloaded (`--require`), before anything loads `http`. */
export function otelPreloadOf(mode: ModuleMode): string | undefined {
  if (mode === 'otel-http') return 'otel-preload.js';
  if (mode === 'otel') return 'otel-full-preload.js';
  return undefined;
}
