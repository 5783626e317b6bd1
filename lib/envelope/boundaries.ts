import { CvdiagBoundary, CvdiagTerminalBoundary, CvdiagTier } from './envelope.types.js';

export const TIER_RANK: Readonly<Record<CvdiagTier, number>> = { default: 0, verbose: 1, debug: 2 };

export const TIERS: readonly CvdiagTier[] = ['default', 'verbose', 'debug'];

interface BoundaryRule {
  tier: CvdiagTier;
  metadataKeys: ReadonlySet<string>;
}

function rule(tier: CvdiagTier, keys: string[]): BoundaryRule {
  return { tier, metadataKeys: new Set(keys) };
}

/** docs/contract.md section 3: the tier of each boundary and the only metadata keys it may carry. */
export const BOUNDARY_RULES: Readonly<Record<CvdiagBoundary, BoundaryRule>> = {
  'backend.request.ingress': rule('verbose', ['method', 'path', 'content_length']),
  'backend.agent.enter': rule('default', ['agent_name', 'model_id']),
  'backend.llm.call.start': rule('verbose', ['provider', 'model', 'prompt_token_count_estimate']),
  'backend.llm.call.heartbeat': rule('verbose', ['elapsed_ms_since_start']),
  'backend.llm.call.response': rule('verbose', [
    'provider',
    'model',
    'response_token_count',
    'latency_ms',
    'error_class',
  ]),
  'backend.sse.first_byte': rule('verbose', ['delta_ms_from_ingress']),
  'backend.sse.event': rule('debug', ['event_type', 'payload_size_bytes', 'sequence_num']),
  'backend.sse.aborted': rule('default', ['termination_kind', 'bytes_before_abort', 'method', 'route', 'last_event_type']),
  'backend.agent.exit': rule('default', ['terminal_outcome', 'total_duration_ms']),
  'backend.response.complete': rule('default', [
    'http_status',
    'content_length',
    'total_duration_ms',
    'sse_event_count',
    'method',
    'route',
    'last_event_type',
  ]),
  'backend.error.caught': rule('default', ['exception_type', 'message_scrubbed', 'stack_brief', 'truncated']),
  'cvdiag.queue_dropped': rule('default', ['dropped_count']),
};

/** The 11 request boundaries, without the accounting row. */
export const BACKEND_BOUNDARIES = Object.keys(BOUNDARY_RULES).filter((name) =>
  name.startsWith('backend.'),
) as CvdiagBoundary[];

/** The rows that end a request: exactly one of them per request. */
export const TERMINAL_BOUNDARIES: readonly CvdiagTerminalBoundary[] = ['backend.response.complete', 'backend.sse.aborted'];

export function isTerminalBoundary(boundary: CvdiagBoundary): boundary is CvdiagTerminalBoundary {
  return boundary === 'backend.response.complete' || boundary === 'backend.sse.aborted';
}

/** Rows of work that may still be running when its request ends, so they may follow the terminal. */
export const LATE_BOUNDARIES: ReadonlySet<CvdiagBoundary> = new Set(['backend.agent.exit', 'backend.llm.call.response']);

export function tierAllows(requestTier: CvdiagTier, boundary: CvdiagBoundary): boolean {
  return TIER_RANK[requestTier] >= TIER_RANK[BOUNDARY_RULES[boundary].tier];
}

/** Per-row byte cap on the UTF-8 size of the JSON (docs/contract.md section 2). */
export const ROW_BYTE_CAP: Readonly<Record<CvdiagTier, number>> = { default: 2048, verbose: 4096, debug: 16384 };
