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
