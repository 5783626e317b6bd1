import type { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import type { RowSpec } from '../emitter/cvdiag-emitter.js';
import type { CvdiagBoundary, CvdiagTier } from '../envelope/envelope.types.js';
import { tierAllows } from '../envelope/boundaries.js';
import { monoMs } from '../envelope/ids.js';
import type { RequestState } from '../request/request-state.js';

/**
 * Who a row belongs to: the same for every row of one request, or of one
 * decorated call made outside any request (docs/contract.md section 5).
 */
export interface CvdiagCorrelation {
  readonly testId: string;
  readonly traceId: string;
  readonly slug: string;
  readonly demo: string;
  /** Which rows this request writes (docs/contract.md section 4). */
  readonly tier: CvdiagTier;
}

/** A unit of decorated work (agent run, LLM call) that the request's end must know about. */
export interface OpenWork {
  /** The request reached its terminal: stop timers; when the client left, tear the producer down. */
  onRequestEnded(clientLeft: boolean): void;
}

/**
 * What all rows of one request, or of one decorated call made outside any
 * request, share: the correlation, the start time, and the work still open.
 * A request's rows go through RequestState, a subclass; work outside requests
 * uses this class as it is.
 */
export class CorrelationContext implements CvdiagCorrelation {
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
    correlation: CvdiagCorrelation,
  ) {
    this.tier = correlation.tier;
    this.testId = correlation.testId;
    this.traceId = correlation.traceId;
    this.slug = correlation.slug;
    this.demo = correlation.demo;
  }

  /**
   * The HTTP request this context is, or null for decorated work outside any
   * request. A method rather than `instanceof`, which fails when the ESM and the
   * CommonJS build are both loaded (see process-globals.ts).
   */
  asRequest(): RequestState | null {
    return null;
  }

  /** Whether this context's tier includes `boundary`: the one tier check, asked before a row is built. */
  writes(boundary: CvdiagBoundary): boolean {
    return tierAllows(this.tier, boundary);
  }

  /** Writes a row whose boundary `writes()` allowed; returns its span id, or null when no sink took it. */
  emit(row: RowSpec): string | null {
    return this.runtime.emitter.emit(this, row);
  }
}
