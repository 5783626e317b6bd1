import { ArgumentsHost, Injectable } from '@nestjs/common';
import type { CvdiagCorrelation } from './context/correlation-context.js';
import { cvdiagStorage } from './context/cvdiag-storage.js';
import { currentRequest, requestFor } from './request/request-lookup.js';
import { CvdiagRuntime } from './runtime/cvdiag-runtime.js';

/**
 * What decorators cannot see. Every method is safe to call at any time: outside
 * an instrumented request, or with the emitter off, it does nothing.
 */
@Injectable()
export class CvdiagService {
  constructor(private readonly runtime: CvdiagRuntime) {}

  /** Ids of the current request (e.g. to forward `x-test-id` to a downstream call), if instrumented. */
  currentCorrelation(): CvdiagCorrelation | undefined {
    const context = cvdiagStorage.getStore()?.context;
    if (!context) return undefined;
    return { testId: context.testId, traceId: context.traceId, slug: context.slug, demo: context.demo, tier: context.tier };
  }

  /**
   * An AbortSignal that aborts when the client of the current request leaves
   * before the response finished, on any route (not only `@Sse()`). Pass it to
   * the LLM call (`fetch`, SDK `signal` option) so its work stops with the
   * client. Undefined outside an instrumented request.
   */
  clientGoneSignal(): AbortSignal | undefined {
    return currentRequest()?.clientGoneSignal;
  }

  /** Token usage of the innermost @LlmCall in progress; shown on its `llm.call.response` row. */
  recordLlmUsage(usage: { responseTokens?: number }): void {
    this.guard('usage', () => cvdiagStorage.getStore()?.llmCall?.recordUsage(usage));
  }

  /**
   * One event of the current response, for streams CVDIAG cannot cut into events
   * itself: neither SSE (`text/event-stream`, parsed event by event however it
   * is written) nor NDJSON (one event per line). From the first mark on, the
   * response's writes are no longer counted as events; a mark may come before
   * or right after its write. On SSE and NDJSON responses it does nothing.
   */
  markStreamEvent(eventType = 'message', payloadSizeBytes = 0): void {
    this.guard('mark', () => {
      currentRequest()?.response.markEvent(String(eventType), Math.max(0, Math.trunc(Number(payloadSizeBytes)) || 0));
    });
  }

  /**
   * An error the app handled itself and that no CVDIAG layer saw, e.g. in the
   * app's own catch-all filter: pass the filter's `host` so the error is tied to
   * its request. Written once per error object; it does not end the stream.
   */
  reportError(error: unknown, host?: ArgumentsHost): void {
    this.guard('report', () => {
      const request = host ? requestFor(this.runtime, host) : currentRequest();
      request?.recordError(error, false);
    });
  }

  private guard(kind: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.runtime.faults.warn(`service-${kind}`, `CvdiagService.${kind} failed`, error);
    }
  }
}
