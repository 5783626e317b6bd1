import type { CorrelationContext } from '../context/correlation-context.js';
import type { LlmUsageTarget } from '../context/cvdiag-storage.js';
import { elapsedMs } from '../envelope/ids.js';
import { cleanExceptionType } from '../request/error-metadata.js';
import { estimatePromptTokens } from './prompt-estimate.js';
import { WorkEnd, WorkTracker } from './work-tracker.js';

export interface LlmCallOptions {
  provider?: string;
  model?: string;
  /** Overrides the module's `heartbeatIntervalMs` for this method. */
  heartbeatIntervalMs?: number;
}

export interface LlmCallSettings {
  /** Scrubbed and bounded when the method was decorated. */
  provider: string | null;
  model: string | null;
  heartbeatIntervalMs: number;
}

/**
 * `backend.llm.call.start` when called, a heartbeat every interval while the
 * call is outstanding, and `backend.llm.call.response` when it settles. The
 * heartbeat timer is unref'd and stops at the call's end or the request's end.
 */
export class LlmCallWork extends WorkTracker implements LlmUsageTarget {
  private heartbeat?: NodeJS.Timeout;
  private responseTokens: number | null = null;

  constructor(
    context: CorrelationContext,
    parentSpanId: string | null,
    private readonly settings: LlmCallSettings,
    /** The call's arguments, read for the prompt estimate only when the start row is written, then dropped. */
    private args: readonly unknown[] | undefined,
  ) {
    super(context, parentSpanId);
  }

  recordUsage(usage: { responseTokens?: number }): void {
    if (isCount(usage.responseTokens)) this.responseTokens = usage.responseTokens;
  }

  protected start(): string | null {
    const args = this.args ?? [];
    this.args = undefined; // not held while the call runs
    if (!this.context.writes('backend.llm.call.start')) return null;
    return this.context.emit({
      boundary: 'backend.llm.call.start',
      outcome: 'info',
      durationMs: null,
      metadata: {
        provider: this.settings.provider,
        model: this.settings.model,
        prompt_token_count_estimate: estimatePromptTokens(args),
      },
      metadataClean: true, // strings cleaned at decoration, two counts
      parentSpanId: this.parentSpanId,
    });
  }

  protected finish(how: WorkEnd, latencyMs: number): void {
    if (!this.context.writes('backend.llm.call.response')) return;
    this.context.emit({
      boundary: 'backend.llm.call.response',
      outcome: how.kind === 'ok' ? 'ok' : 'err',
      durationMs: latencyMs,
      metadata: {
        provider: this.settings.provider,
        model: this.settings.model,
        response_token_count: this.responseTokens,
        latency_ms: latencyMs,
        error_class: how.kind === 'ok' ? null : how.kind === 'err' ? cleanExceptionType(how.error) : 'Abandoned',
      },
      metadataClean: true,
      parentSpanId: this.spanId ?? this.parentSpanId,
    });
  }

  override startTimers(): void {
    if (this.heartbeat || this.isEnded || this.context.terminated) return;
    if (!this.context.writes('backend.llm.call.heartbeat')) return;
    this.heartbeat = setInterval(() => this.beat(), this.settings.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  protected override stopTimers(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private beat(): void {
    if (this.isEnded || this.context.terminated) {
      this.stopTimers();
      return;
    }
    try {
      this.context.emit({
        boundary: 'backend.llm.call.heartbeat',
        outcome: 'info',
        durationMs: null,
        metadata: { elapsed_ms_since_start: elapsedMs(this.startMs) },
        metadataClean: true,
        parentSpanId: this.spanId ?? this.parentSpanId,
      });
    } catch (error) {
      this.context.runtime.faults.warn('heartbeat', 'a heartbeat row could not be written', error);
    }
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
