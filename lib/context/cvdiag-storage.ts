import { processGlobals } from '../process-globals.js';
import type { CorrelationContext } from './correlation-context.js';

/** The innermost open LLM call of a scope, for usage reported through CvdiagService. */
export interface LlmUsageTarget {
  recordUsage(usage: { responseTokens?: number }): void;
}

export interface CvdiagStore {
  /** null: this request is not instrumented (excluded, skipped); decorated calls pass straight through. */
  readonly context: CorrelationContext | null;
  /** Span that rows started in this scope name as parent. */
  readonly parentSpanId: string | null;
  readonly llmCall: LlmUsageTarget | null;
}

/**
 * One AsyncLocalStorage for the library (one per process, shared by its ESM and
 * CommonJS builds). Entered with `run()` only (never `enterWith`), per request
 * by the interceptor and per decorated call, so a store cannot outlive its
 * scope or leak into another request.
 */
export const cvdiagStorage = processGlobals.storage;

export const SUPPRESSED_STORE: CvdiagStore = Object.freeze({ context: null, parentSpanId: null, llmCall: null });
