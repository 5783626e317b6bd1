import { BOUNDARY_RULES, isTerminalBoundary, LATE_BOUNDARIES, ROW_BYTE_CAP } from '../envelope/boundaries.js';
import type { CvdiagBoundary, CvdiagEnvelope, CvdiagTier } from '../envelope/envelope.types.js';
import { groupByTrace } from '../analysis/rows.js';
import { describeRows } from './describe-rows.js';
import { lineOf } from './captured-rows.js';

/**
 * The contract of docs/contract.md as checks: each row (section 2 and the
 * table of section 3) and each request's invariants (section 3). Framework
 * free: a failed check throws a CvdiagAssertionError whose message shows the
 * request's timeline.
 */
export class CvdiagAssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CvdiagAssertionError';
  }
}

export interface ContractOptions {
  /** The tier the rows were written at; bounds each line's size. Default: debug. */
  tier?: CvdiagTier;
  /** Test ids may be adopted non-UUIDv7 ids (`adoptTestId`). */
  adoptedTestIds?: boolean;
  /** Traces of decorated work outside any request: no terminal expected. */
  detachedTraces?: readonly string[];
}

const KEY_ORDER = [
  'schema_version', 'test_id', 'trace_id', 'span_id', 'parent_span_id', 'layer', 'boundary', 'slug',
  'demo', 'ts', 'mono_ns', 'duration_ms', 'outcome', 'edge_headers', 'metadata', '_metadata_dropped', '_truncated',
].join(',');
const EDGE_KEYS = ['cf-ray', 'cf-mitigated', 'cf-cache-status', 'x-railway-edge', 'x-railway-request-id', 'x-hikari-trace', 'retry-after', 'via', 'server'].join(',');
export const UUIDV7_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ADOPTED_TEST_ID = /^[a-z0-9._-]{1,128}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const SLUG = /^[a-z][a-z0-9-]{0,63}$/;
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

type ValueCheck = (value: unknown) => boolean;
interface RowCheck {
  outcomes: readonly string[];
  duration: 'null' | 'int';
  metadata: Record<string, ValueCheck>;
}

const int: ValueCheck = (v) => Number.isInteger(v) && (v as number) >= 0;
const intOrNull: ValueCheck = (v) => v === null || int(v);
const str: ValueCheck = (v) => typeof v === 'string';
const strOrNull: ValueCheck = (v) => v === null || str(v);
const oneOf = (...values: string[]): ValueCheck => (v) => values.includes(v as string);
const frames: ValueCheck = (v) =>
  Array.isArray(v) && v.length <= 8 && v.every((f: { file?: unknown; line?: unknown } | null) => str(f?.file) && intOrNull(f?.line));

/** Outcome, duration and metadata value checks per boundary; the key sets come from BOUNDARY_RULES. */
const ROW_CHECKS: Readonly<Record<CvdiagBoundary, RowCheck>> = {
  'backend.request.ingress': { outcomes: ['info'], duration: 'null', metadata: { method: str, path: str, content_length: intOrNull } },
  'backend.agent.enter': { outcomes: ['info'], duration: 'null', metadata: { agent_name: str, model_id: strOrNull } },
  'backend.llm.call.start': { outcomes: ['info'], duration: 'null', metadata: { provider: strOrNull, model: strOrNull, prompt_token_count_estimate: int } },
  'backend.llm.call.heartbeat': { outcomes: ['info'], duration: 'null', metadata: { elapsed_ms_since_start: int } },
  'backend.llm.call.response': {
    outcomes: ['ok', 'err'],
    duration: 'int',
    metadata: { provider: strOrNull, model: strOrNull, response_token_count: intOrNull, latency_ms: int, error_class: strOrNull },
  },
  'backend.sse.first_byte': { outcomes: ['info'], duration: 'null', metadata: { delta_ms_from_ingress: int } },
  'backend.sse.event': { outcomes: ['info'], duration: 'null', metadata: { event_type: str, payload_size_bytes: int, sequence_num: int } },
  'backend.sse.aborted': {
    outcomes: ['err', 'timeout'],
    duration: 'int',
    metadata: { termination_kind: oneOf('rst', 'timeout', 'chunk_error'), bytes_before_abort: int, method: str, route: strOrNull, last_event_type: strOrNull },
  },
  'backend.agent.exit': { outcomes: ['ok', 'err', 'timeout'], duration: 'int', metadata: { terminal_outcome: oneOf('ok', 'err', 'timeout'), total_duration_ms: int } },
  'backend.response.complete': {
    outcomes: ['ok', 'err'],
    duration: 'int',
    metadata: { http_status: int, content_length: int, total_duration_ms: int, sse_event_count: int, method: str, route: strOrNull, last_event_type: strOrNull },
  },
  'backend.error.caught': {
    outcomes: ['err'],
    duration: 'int',
    metadata: {
      exception_type: str,
      message_scrubbed: (v) => str(v) && Buffer.byteLength(v as string) <= 512,
      stack_brief: frames,
      truncated: (v) => typeof v === 'boolean',
    },
  },
  'cvdiag.queue_dropped': { outcomes: ['info'], duration: 'null', metadata: { dropped_count: int } },
};

/** One row against the envelope (section 2) and its boundary's line of the table (section 3). */
export function assertValidRow(row: CvdiagEnvelope, options: ContractOptions = {}): void {
  const line = lineOf(row);
  const fail = (what: string): never => {
    throw new CvdiagAssertionError(`invalid ${String(row?.boundary)} row: ${what}\n  ${(line ?? JSON.stringify(row)).trim().slice(0, 400)}`);
  };
  if (Object.keys(row).join(',') !== KEY_ORDER) fail(`keys out of order or missing: ${Object.keys(row).join(',')}`);
  if (row.schema_version !== 1) fail('schema_version is not 1');
  if (!(UUIDV7_PATTERN.test(row.test_id) || (options.adoptedTestIds && ADOPTED_TEST_ID.test(row.test_id)))) fail('test_id');
  if (!UUIDV7_PATTERN.test(row.trace_id)) fail('trace_id');
  if (!SPAN_ID.test(row.span_id)) fail('span_id');
  if (row.parent_span_id !== null && !SPAN_ID.test(row.parent_span_id)) fail('parent_span_id');
  if (row.layer !== 'backend') fail('layer');
  const check = ROW_CHECKS[row.boundary];
  if (!check) fail('unknown boundary');
  if (!SLUG.test(row.slug)) fail('slug');
  if (typeof row.demo !== 'string' || row.demo.length > 256) fail('demo');
  if (!TS.test(row.ts) || Number.isNaN(Date.parse(row.ts))) fail('ts');
  if (!Number.isSafeInteger(row.mono_ns) || row.mono_ns < 0) fail('mono_ns');
  if (check.duration === 'null' ? row.duration_ms !== null : !int(row.duration_ms)) fail('duration_ms');
  if (!check.outcomes.includes(row.outcome)) fail(`outcome ${row.outcome}`);
  if (Object.keys(row.edge_headers).join(',') !== EDGE_KEYS) fail('edge header keys');
  if (!Object.values(row.edge_headers).every(strOrNull)) fail('edge header values');
  const allowed = BOUNDARY_RULES[row.boundary].metadataKeys;
  for (const [key, value] of Object.entries(row.metadata)) {
    if (!allowed.has(key)) fail(`undeclared metadata key ${key}`);
    if (!row._truncated && check.metadata[key] && !check.metadata[key](value)) fail(`metadata ${key} = ${JSON.stringify(value)}`);
  }
  if (!row._truncated && !row._metadata_dropped) {
    for (const key of allowed) if (!(key in row.metadata)) fail(`metadata ${key} missing`);
  }
  if (typeof row._metadata_dropped !== 'boolean' || typeof row._truncated !== 'boolean') fail('flags');
  const cap = ROW_BYTE_CAP[options.tier ?? 'debug'];
  if (line !== undefined && Buffer.byteLength(line) - 'CVDIAG '.length - 1 > cap) fail(`row over the ${cap}-byte cap of its tier`);
  if (row.boundary === 'backend.response.complete') {
    const status = row.metadata.http_status as number;
    if ((status < 400) !== (row.outcome === 'ok')) fail('outcome does not follow http_status');
  }
  if (row.boundary === 'backend.agent.exit' && row.metadata.terminal_outcome !== row.outcome) fail('outcome differs from terminal_outcome');
}

export interface InvariantOptions {
  /** Decorated work outside any request: no terminal. */
  detached?: boolean;
  /** At debug every event has its row, so `sse_event_count` must match them. Default: debug. */
  tier?: CvdiagTier;
}

/** One request's rows (one trace, oldest first) against the invariants of section 3. */
export function assertRequestInvariants(trace: readonly CvdiagEnvelope[], options: InvariantOptions = {}): void {
  const fail = (what: string): never => {
    throw new CvdiagAssertionError(`request invariant broken: ${what}\n${describeRows(trace)}`);
  };
  if (trace.length === 0) fail('no rows');
  const first = trace[0];
  for (const row of trace) {
    if (row.trace_id !== first.trace_id) fail('rows of several requests (trace_id differs)');
    if (row.test_id !== first.test_id || row.slug !== first.slug || row.demo !== first.demo) fail('test_id, slug or demo differs within the request');
  }
  const ingressAt = trace.findIndex((row) => row.boundary === 'backend.request.ingress');
  if (ingressAt > 0) fail('request.ingress is not the first row');
  const terminals = trace.filter((row) => isTerminalBoundary(row.boundary));
  if (!options.detached && terminals.length !== 1) fail(`expected exactly one terminal row, found ${terminals.length}`);
  if (options.detached && terminals.length !== 0) fail('a terminal row on work outside any request');
  const terminalAt = trace.findIndex((row) => isTerminalBoundary(row.boundary));
  if (terminalAt >= 0) {
    for (const row of trace.slice(terminalAt + 1)) if (!LATE_BOUNDARIES.has(row.boundary)) fail(`${row.boundary} after the terminal row`);
  }
  const firstBytes = trace.filter((row) => row.boundary === 'backend.sse.first_byte');
  if (firstBytes.length > 1) fail('sse.first_byte more than once');
  const firstEventAt = trace.findIndex((row) => row.boundary === 'backend.sse.event');
  if (firstEventAt >= 0 && (firstBytes.length === 0 || trace.indexOf(firstBytes[0]) > firstEventAt)) fail('sse.event before sse.first_byte');
  const sequence = trace.filter((row) => row.boundary === 'backend.sse.event').map((row) => row.metadata.sequence_num);
  if (sequence.some((value, index) => value !== index)) fail(`sequence_num has gaps: ${sequence.join(',')}`);
  const spans = new Set<string>();
  for (const row of trace) {
    if (row.parent_span_id !== null && !spans.has(row.parent_span_id)) fail(`parent_span_id of ${row.boundary} names no earlier row`);
    spans.add(row.span_id);
  }
  for (const [index, row] of trace.entries()) {
    if (row.boundary !== 'backend.llm.call.heartbeat') continue;
    const start = trace.find((r) => r.span_id === row.parent_span_id);
    if (start?.boundary !== 'backend.llm.call.start') fail('heartbeat not parented by its llm.call.start');
    const response = trace.findIndex((r) => r.boundary === 'backend.llm.call.response' && r.parent_span_id === row.parent_span_id);
    if (response >= 0 && response < index) fail('heartbeat after its llm.call.response');
  }
  const terminal = terminals[0];
  if (
    (options.tier ?? 'debug') === 'debug' &&
    sequence.length > 0 &&
    terminal?.boundary === 'backend.response.complete' &&
    terminal.metadata.sse_event_count !== sequence.length
  ) {
    fail(`sse_event_count is ${String(terminal.metadata.sse_event_count)} but ${sequence.length} sse.event rows were written`);
  }
}

/** Every row, then every request's invariants. Returns the rows grouped by request. */
export function assertValidRows<Row extends CvdiagEnvelope>(rows: readonly Row[], options: ContractOptions = {}): Map<string, Row[]> {
  for (const row of rows) assertValidRow(row, options);
  const traces = groupByTrace(rows);
  for (const [traceId, trace] of traces) {
    assertRequestInvariants(trace, { detached: options.detachedTraces?.includes(traceId) ?? false, tier: options.tier });
  }
  return traces;
}
