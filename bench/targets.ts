import type { RowKind } from './emit-cost';
import type { ModuleMode, ReferenceMode } from './servers/modes';

/** Issue 4's targets, in one place, so the report and any later check agree. */
export const EMIT_MEDIAN_TARGET_NS: Record<RowKind, number> = {
  'backend.sse.event': 4_000,
  'backend.error.caught': 5_000,
};
export const EMIT_P99_TARGET_NS = 12_000;

/** Cutting and typing one stream event (issue 10). */
export const PARSE_TARGET_NS = 1_000;

/** Minimum req/s as a fraction of "no module". `default-otel` has none: it is compared with `otel-http`. */
export const OVERHEAD_TARGET: Record<Exclude<ModuleMode, 'none' | 'default-otel' | ReferenceMode>, number> = {
  disabled: 0.99,
  default: 0.97,
  debug: 0.9,
  'default-coalesced': 0.97,
  'debug-coalesced': 0.9,
  'default-batched': 0.97,
  'debug-batched': 0.9,
};

/**
 * Issue 13's targets for CPU added per request at a fixed rate (table 2a), as
 * fractions: default tier at most 0.6× what nestjs-pino's request logging
 * adds; debug tier on SSE at most 1.5× default.
 */
export const FIXED_RATE_DEFAULT_VS_PINO = 0.6;
export const FIXED_RATE_DEBUG_VS_DEFAULT = 1.5;
/** Table 1: an extra row at most the floor + 0.5 µs; error.caught at most pino's cost. */
export const EMIT_ROW_OVER_FLOOR_NS = 500;

export const SOAK_HEAP_GROWTH_MAX = 0.05;
