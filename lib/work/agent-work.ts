import type { CorrelationContext } from '../context/correlation-context.js';
import { isTimeoutError, WorkEnd, WorkTracker } from './work-tracker.js';

export interface AgentEntryOptions {
  /** Defaults to `ClassName.methodName`. */
  agentName?: string;
  /** The model the agent runs, if fixed. */
  modelId?: string;
}

/** `backend.agent.enter` when called, `backend.agent.exit` when its work ends (default tier: written at every tier). */
export class AgentWork extends WorkTracker {
  constructor(
    context: CorrelationContext,
    parentSpanId: string | null,
    private readonly agentName: string,
    private readonly modelId: string | null,
  ) {
    super(context, parentSpanId);
  }

  protected start(): string | null {
    return this.context.emit({
      boundary: 'backend.agent.enter',
      outcome: 'info',
      durationMs: null,
      metadata: { agent_name: this.agentName, model_id: this.modelId },
      metadataClean: true, // cleaned at decoration
      parentSpanId: this.parentSpanId,
    });
  }

  protected finish(how: WorkEnd, durationMs: number): void {
    const outcome = how.kind === 'ok' ? 'ok' : how.kind === 'err' && isTimeoutError(how.error) ? 'timeout' : 'err';
    this.context.emit({
      boundary: 'backend.agent.exit',
      outcome,
      durationMs,
      metadata: { terminal_outcome: outcome, total_duration_ms: durationMs },
      metadataClean: true,
      parentSpanId: this.spanId ?? this.parentSpanId,
    });
  }
}
