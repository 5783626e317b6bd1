import type { CorrelationContext, OpenWork } from '../context/correlation-context.js';
import { elapsedMs, monoMs } from '../envelope/ids.js';

/** How a unit of decorated work ended. */
export type WorkEnd =
  | { kind: 'ok' }
  | { kind: 'err'; error: unknown }
  /** Nobody waits for it any more: unsubscribed, iterator returned early, or the client left. */
  | { kind: 'abandoned' };

/**
 * One call of a decorated method, from its start row to its end row. Ends
 * exactly once, whichever of value, error, stream end or abandonment comes
 * first, and is listed on its context while open so that the request's end can
 * stop its timers.
 */
export abstract class WorkTracker implements OpenWork {
  readonly startMs = monoMs();
  /** Span of the start row, parent of this work's rows and of work nested in it. */
  spanId: string | null = null;
  private ended = false;
  /** Set for lazy results (async iterables) whose producer can be stopped when the client leaves. */
  stopProducer?: () => void;

  constructor(
    protected readonly context: CorrelationContext,
    protected readonly parentSpanId: string | null,
  ) {}

  /** Writes the start row and lists the work as open. Separate from the constructor so subclasses are fully built. */
  begin(): this {
    this.spanId = this.start();
    this.context.openWork.add(this);
    return this;
  }

  end(how: WorkEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.context.openWork.delete(this);
    this.stopTimers();
    try {
      this.finish(how, elapsedMs(this.startMs));
    } catch (error) {
      this.context.runtime.faults.warn('work-end', 'the end row of decorated work could not be written', error);
    }
  }

  /**
   * Timers stop when the request ends. When the client left, nobody waits for
   * this work any more: a lazy producer is stopped, and the work ends now as
   * abandoned (a Promise cannot be cancelled from here; pass
   * `CvdiagService.clientGoneSignal()` to the call to stop it for real).
   */
  onRequestEnded(clientLeft: boolean): void {
    this.stopTimers();
    if (!clientLeft) return;
    const stop = this.stopProducer;
    this.stopProducer = undefined;
    stop?.();
    this.end({ kind: 'abandoned' });
  }

  protected get isEnded(): boolean {
    return this.ended;
  }

  /** Writes the start row; returns its span id. */
  protected abstract start(): string | null;
  protected abstract finish(how: WorkEnd, durationMs: number): void;
  /**
   * The work is now outstanding: start its timers. Called at once for eager
   * results (Promises, streams) and at first subscription or pull for lazy ones,
   * so a result nobody consumes keeps no timer.
   */
  startTimers(): void {}
  protected stopTimers(): void {}
}

/** Errors that mean a deadline passed, by the names Node, rxjs and fetch give them. */
export function isTimeoutError(error: unknown): boolean {
  try {
    const name = (error as { name?: unknown } | null)?.name;
    return typeof name === 'string' && /timeout/i.test(name);
  } catch {
    return false;
  }
}
