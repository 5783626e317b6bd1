import { cleanOption, instrumentMethod } from './instrument-method.js';
import { LlmCallOptions, LlmCallWork } from './llm-call-work.js';

export type { LlmCallOptions };

/**
 * Marks a method that calls an LLM: `backend.llm.call.start` when called,
 * `backend.llm.call.heartbeat` every interval while outstanding, and
 * `backend.llm.call.response` when it settles (value, error, end of a returned
 * stream, or abandonment). Report token usage with `CvdiagService.recordLlmUsage`.
 */
export function LlmCall(options: LlmCallOptions = {}): MethodDecorator {
  const interval = options.heartbeatIntervalMs;
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 1 && interval <= 2 ** 31 - 1)) {
    throw new TypeError(`@LlmCall() option "heartbeatIntervalMs" must be an integer from 1 to ${2 ** 31 - 1}; received ${String(interval)}.`);
  }
  const provider = cleanOption('LlmCall', 'provider', options.provider);
  const model = cleanOption('LlmCall', 'model', options.model);
  return instrumentMethod('LlmCall', (context, store, args) =>
    new LlmCallWork(
      context,
      store.parentSpanId,
      { provider, model, heartbeatIntervalMs: interval ?? context.runtime.options.heartbeatIntervalMs },
      args,
    ).begin(),
  );
}
