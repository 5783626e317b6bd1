import type { RowSpec } from '../lib/emitter/cvdiag-emitter';
import { elapsedMs } from '../lib/envelope/ids';
import { errorMetadata } from '../lib/request/error-metadata';
import type { CorrelationContext } from '../lib/context/correlation-context';

/** A provider error like the ones agents surface, with a key and a bearer token in its 300-char message. */
class UpstreamProviderError extends Error {
  override name = 'UpstreamProviderError';
}

function messageWithSecret(): string {
  const head =
    'Upstream 401 from https://svc:hunter2@llm.internal.example.com/v1/chat/completions: ' +
    'invalid api_key=sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c; request sent Authorization: Bearer ' +
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl while retrying model gpt-4o-mini ';
  return (head + 'x'.repeat(300)).slice(0, 300);
}

/** Thrown a few calls deep so the stack has app-like frames to parse. */
function callProvider(depth: number): never {
  if (depth === 0) throw new UpstreamProviderError(messageWithSecret());
  return callProvider(depth - 1);
}

/**
 * One error object, its stack already formatted: V8 formats a stack once, on
 * first read, and in an app that cost belongs to whoever reads it first
 * (Nest's logger usually). The row cost is then what CVDIAG adds on top.
 */
export function makeBenchError(): Error {
  try {
    callProvider(6);
  } catch (error) {
    void (error as Error).stack;
    return error as Error;
  }
  throw new Error('unreachable');
}

/** The RowSpec RequestState.event builds for one event (lib/request/request-state.ts). */
export function sseEventRow(context: CorrelationContext, sequence: number): RowSpec {
  return {
    boundary: 'backend.sse.event',
    outcome: 'info',
    durationMs: null,
    metadata: { event_type: 'message', payload_size_bytes: 57, sequence_num: sequence },
    metadataClean: true, // as RequestState.event builds it: a cleaned name and two counts
    parentSpanId: context.rootSpanId,
  };
}

/** The RowSpec RequestState.recordError builds, metadata (scrub + stack parse) included. */
export function errorCaughtRow(context: CorrelationContext, error: unknown): RowSpec {
  return {
    boundary: 'backend.error.caught',
    outcome: 'err',
    durationMs: elapsedMs(context.startMs),
    metadata: errorMetadata(error),
    metadataClean: true,
    parentSpanId: context.rootSpanId,
  };
}
