import { CorrelationContext } from '../context/correlation-context.js';
import { detachedCorrelation } from '../correlation/correlate.js';
import { CvdiagEmitter, RowIdentity } from '../emitter/cvdiag-emitter.js';
import { FaultLog } from '../emitter/fault-log.js';
import { uuidv7 } from '../envelope/ids.js';
import { CvdiagTier } from '../envelope/envelope.types.js';
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
  private debugRefusalLogged = false;
  /** Contexts of decorated work outside requests that may still have work open. */
  private readonly detached = new Set<CorrelationContext>();

  constructor(readonly options: ResolvedCvdiagOptions) {
    this.emitter = new CvdiagEmitter(options.sinks, this.faults, () => this.accountingIdentity());
    this.isExcluded = compileExcludes(options.exclude);
  }

  /** Read live: the option, else CVDIAG_BACKEND_EMITTER. */
  isEnabled(): boolean {
    return isEmitterEnabled(this.options.enabled);
  }

  tierFor(slug: string): CvdiagTier {
    const decision = resolveTier(this.options.tier, slug);
    if (decision.refusedDebug && !this.debugRefusalLogged) {
      this.debugRefusalLogged = true;
      this.faults.warn('debug-refused', decision.refusedDebug);
    }
    return decision.tier;
  }

  /** A context for decorated work called outside any request (SPEC section 5, last point). */
  detachedContext(): CorrelationContext {
    for (const context of this.detached) if (context.openWork.size === 0) this.detached.delete(context);
    const correlation = detachedCorrelation(this.options.slug);
    const context = new CorrelationContext(this, {
      ...correlation,
      traceId: uuidv7(),
      tier: this.tierFor(correlation.slug),
    });
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

  private accountingIdentity(): RowIdentity {
    const correlation = detachedCorrelation(this.options.slug);
    return { ...correlation, traceId: uuidv7(), tier: 'default' };
  }
}
