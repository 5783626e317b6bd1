/**
 * What a server under test runs: no module, the module switched off, or on at
 * a tier (`-coalesced`: with `new StdoutSink({ coalesce: true })`); or, without
 * CVDIAG, one of the reference points.
 */
export type ModuleMode = 'none' | 'disabled' | CvdiagOnMode | ReferenceMode;

/** `default-otel`: default tier with `nestjs-cvdiag/otel`'s sink beside stdout (batch processor, spans discarded). */
export type CvdiagOnMode = 'default' | 'debug' | 'default-coalesced' | 'debug-coalesced' | 'default-otel';

/**
 * Not CVDIAG: what any library built the same way costs, measured beside it.
 * `noop-interceptor`: one global interceptor that only calls `next.handle()`
 * (Nest's interceptor pipeline, paid by every app with a global interceptor).
 * `als-interceptor`: the same interceptor running the handler and its stream in
 * an AsyncLocalStorage store, as request-context libraries do (on Node 20 this
 * turns on the promise hooks for every promise of the request).
 */
export type ReferenceMode = 'noop-interceptor' | 'als-interceptor' | 'otel-http';

/**
 * `otel-http`: no CVDIAG; OpenTelemetry's own `@opentelemetry/instrumentation-http`
 * with a batch processor (spans discarded), as a team would run it (otel-setup.ts).
 */
export const REFERENCE_MODES: readonly ReferenceMode[] = ['noop-interceptor', 'als-interceptor', 'otel-http'];

export function isReferenceMode(mode: ModuleMode): mode is ReferenceMode {
  return (REFERENCE_MODES as readonly string[]).includes(mode);
}
