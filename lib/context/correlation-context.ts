import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import type { RowIdentity, RowSpec } from '../emitter/cvdiag-emitter.js';
import type { CvdiagTier } from '../envelope/envelope.types.js';
import { tierAllows } from '../envelope/boundaries.js';
import { monoMs } from '../envelope/ids.js';
import type { RequestState } from '../http/request-state.js';

/** A unit of decorated work (agent run, LLM call) that the request's end must know about. */
export interface OpenWork {
  /** The request reached its terminal: stop timers; when the client left, tear the producer down. */
  onRequestEnded(clientLeft: boolean): void;
}

export interface ContextIdentity {
  tier: CvdiagTier;
  testId: string;
  traceId: string;
  slug: string;
  demo: string;
}

/**
 * What all rows of one request, or of one decorated call made outside any
 * request, share: ids, tier, start time, and the work still open in it.
 */
export class CorrelationContext implements RowIdentity {
  readonly tier: CvdiagTier;
  readonly testId: string;
  readonly traceId: string;
  readonly slug: string;
  readonly demo: string;
  readonly startMs = monoMs();
  /** Span of the row that parents request-level rows (the ingress row, when written). */
  rootSpanId: string | null = null;
  /** The request wrote its terminal row; only late work-end rows may follow. */
  terminated = false;
  readonly openWork = new Set<OpenWork>();

  constructor(
    readonly runtime: CvdiagRuntime,
    identity: ContextIdentity,
  ) {
    this.tier = identity.tier;
    this.testId = identity.testId;
    this.traceId = identity.traceId;
    this.slug = identity.slug;
    this.demo = identity.demo;
  }

  /**
   * The HTTP request this context is, or null for decorated work outside any
   * request. A method rather than `instanceof`, which fails when the ESM and the
   * CommonJS build are both loaded (see process-globals.ts).
   */
  asRequest(): RequestState | null {
    return null;
  }

  /** Writes the row if this context's tier includes its boundary; returns its span id, or null. */
  emit(row: RowSpec): string | null {
    if (!tierAllows(this.tier, row.boundary)) return null;
    return this.runtime.emitter.emit(this, row);
  }
}
