/** Detail levels, cumulative: a row is written when the request's tier is at or above its boundary's. */
export type CvdiagTier = 'default' | 'verbose' | 'debug';

export type CvdiagOutcome = 'ok' | 'err' | 'timeout' | 'info';

export type CvdiagBoundary =
  | 'backend.request.ingress'
  | 'backend.agent.enter'
  | 'backend.llm.call.start'
  | 'backend.llm.call.heartbeat'
  | 'backend.llm.call.response'
  | 'backend.sse.first_byte'
  | 'backend.sse.event'
  | 'backend.sse.aborted'
  | 'backend.agent.exit'
  | 'backend.response.complete'
  | 'backend.error.caught'
  | 'cvdiag.queue_dropped';

export type CvdiagEdgeHeaderName =
  | 'cf-ray'
  | 'cf-mitigated'
  | 'cf-cache-status'
  | 'x-railway-edge'
  | 'x-railway-request-id'
  | 'x-hikari-trace'
  | 'retry-after'
  | 'via'
  | 'server';

export type CvdiagEdgeHeaders = Record<CvdiagEdgeHeaderName, string | null>;

/** One row, schema v1. Keys are written in exactly this order. */
export interface CvdiagEnvelope {
  schema_version: 1;
  test_id: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  layer: 'backend';
  boundary: CvdiagBoundary;
  slug: string;
  demo: string;
  ts: string;
  mono_ns: number;
  duration_ms: number | null;
  outcome: CvdiagOutcome;
  edge_headers: CvdiagEdgeHeaders;
  metadata: Record<string, unknown>;
  _metadata_dropped: boolean;
  _truncated: boolean;
}

/** How a stream ended without finishing (`backend.sse.aborted`). */
export type CvdiagTerminationKind = 'rst' | 'timeout' | 'chunk_error';

/** One `{file, line}` frame of `backend.error.caught`'s `stack_brief`. */
export interface CvdiagStackFrame {
  file: string;
  line: number | null;
}

/** What both terminal rows say about the request they end (schema 1 additions). */
export type CvdiagEndingMetadata = {
  /** The HTTP method. */
  method: string;
  /** The matched route template with any global prefix (`/agent/:id`); null when no route matched (a 404). */
  route: string | null;
  /** The `event_type` of the response's last event; null when it had none. */
  last_event_type: string | null;
};

/** The metadata of each boundary: these keys, and no others (docs/contract.md, section 3). */
export interface CvdiagMetadataByBoundary {
  'backend.request.ingress': { method: string; path: string; content_length: number | null };
  'backend.agent.enter': { agent_name: string; model_id: string | null };
  'backend.llm.call.start': { provider: string | null; model: string | null; prompt_token_count_estimate: number };
  'backend.llm.call.heartbeat': { elapsed_ms_since_start: number };
  'backend.llm.call.response': {
    provider: string | null;
    model: string | null;
    response_token_count: number | null;
    latency_ms: number;
    error_class: string | null;
  };
  'backend.sse.first_byte': { delta_ms_from_ingress: number };
  'backend.sse.event': { event_type: string; payload_size_bytes: number; sequence_num: number };
  'backend.sse.aborted': { termination_kind: CvdiagTerminationKind; bytes_before_abort: number } & CvdiagEndingMetadata;
  'backend.agent.exit': { terminal_outcome: 'ok' | 'err' | 'timeout'; total_duration_ms: number };
  'backend.response.complete': {
    http_status: number;
    content_length: number | null;
    total_duration_ms: number;
    sse_event_count: number;
  } & CvdiagEndingMetadata;
  'backend.error.caught': {
    exception_type: string;
    message_scrubbed: string;
    stack_brief: CvdiagStackFrame[];
    truncated: boolean;
  };
  'cvdiag.queue_dropped': { dropped_count: number };
}

/**
 * A row as read back, typed by its boundary: checking `row.boundary` narrows
 * `row.metadata`, e.g. `termination_kind` on a `backend.sse.aborted` row.
 * `CvdiagRow<'backend.sse.event'>` is one boundary's row.
 */
export type CvdiagRow<B extends CvdiagBoundary = CvdiagBoundary> = B extends CvdiagBoundary
  ? Omit<CvdiagEnvelope, 'boundary' | 'metadata'> & { boundary: B; metadata: CvdiagMetadataByBoundary[B] }
  : never;

/** The two rows that end a request; every request has exactly one. */
export type CvdiagTerminalBoundary = 'backend.response.complete' | 'backend.sse.aborted';
