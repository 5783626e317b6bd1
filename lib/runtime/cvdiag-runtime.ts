import { CorrelationContext, CvdiagCorrelation } from '../context/correlation-context.js';
import { detachedCorrelation } from '../correlation/correlate.js';
import { CvdiagEmitter } from '../emitter/cvdiag-emitter.js';
import { FaultLog } from '../emitter/fault-log.js';
import { CvdiagTier } from '../envelope/envelope.types.js';
import type { CvdiagSink } from '../sinks/cvdiag-sink.interface.js';
import { ResolvedCvdiagOptions } from '../options/cvdiag-options.interface.js';
import { isEmitterEnabled, resolveTier } from '../options/resolve-settings.js';
import { compileExcludes, PathMatcher } from './path-matcher.js';

/**
 * Everything one CvdiagModule registration decided at startup: its options, its
 * emitter and sinks. Requests and decorated calls read settings from here.
 */
export class CvdiagRuntime {
  readonly faults = new FaultLog();
  readonly emitter: CvdiagEmitter;
  readonly isExcluded: PathMatcher;
  /**
   * Some route of this app is @SkipCvdiag (found at startup by CvdiagModule):
   * only then is a request's ingress row held until its route is known.
   */
  routesMaySkip = false;
  private debugRefusalLogged = false;
  /** Set while a test capture is attached: every request is on, at this tier (see testing/capture.ts). */
  private capturedTier: CvdiagTier | null = null;
  /** Contexts of decorated work outside requests that may still have work open. */
  private readonly detached = new Set<CorrelationContext>();

  constructor(readonly options: ResolvedCvdiagOptions) {
    this.emitter = new CvdiagEmitter(options.sinks, this.faults, () => this.accountingIdentity());
    this.isExcluded = compileExcludes(options.exclude);
  }

  /** Read live: a test capture, else the option, else CVDIAG_BACKEND_EMITTER. */
  isEnabled(): boolean {
    return this.capturedTier !== null || isEmitterEnabled(this.options.enabled);
  }

  tierFor(slug: string): CvdiagTier {
    if (this.capturedTier !== null) return this.capturedTier;
    const decision = resolveTier(this.options.tier, slug);
    if (decision.refusedDebug && !this.debugRefusalLogged) {
      this.debugRefusalLogged = true;
      this.faults.warn('debug-refused', decision.refusedDebug);
    }
    return decision.tier;
  }

  /**
   * A test capture: every request of this app on at `tier` (whatever the
   * environment and deployment label: the rows stay in the process), its rows
   * to `sink` as well as (with `passThrough`) the app's own sinks. `null` ends it.
   */
  setCapture(capture: { tier: CvdiagTier; sink: CvdiagSink; passThrough: boolean } | null): void {
    this.capturedTier = capture?.tier ?? null;
    this.emitter.setCaptureSink(capture?.sink ?? null, capture?.passThrough);
  }

  /** A context for decorated work called outside any request (docs/contract.md section 5, last point). */
  detachedContext(): CorrelationContext {
    for (const context of this.detached) if (context.openWork.size === 0) this.detached.delete(context);
    const context = new CorrelationContext(this, detachedCorrelation(this));
    this.detached.add(context);
    return context;
  }

  /**
   * On shutdown, work outside requests that is still open (a result nobody
   * consumed, a call still running) ends as abandoned, so no timer or producer
   * outlives the application.
   */
  endDetachedWork(): void {
    for (const context of this.detached) {
      for (const work of [...context.openWork]) work.onRequestEnded(true);
    }
    this.detached.clear();
  }

  private accountingIdentity(): CvdiagCorrelation {
    return detachedCorrelation(this, 'default');
  }
}
