import { CapturedRow, byTrace } from './cvdiag-capture';

/**
 * The shared contract checks: `expectValidRows` checks every row against SPEC
 * section 2 and every request against the invariants of section 3. Every test
 * that reads rows passes them through here.
 */

const KEY_ORDER = [
  'schema_version', 'test_id', 'trace_id', 'span_id', 'parent_span_id', 'layer', 'boundary', 'slug',
  'demo', 'ts', 'mono_ns', 'duration_ms', 'outcome', 'edge_headers', 'metadata', '_metadata_dropped', '_truncated',
];
const EDGE_KEYS = [
  'cf-ray', 'cf-mitigated', 'cf-cache-status', 'x-railway-edge', 'x-railway-request-id', 'x-hikari-trace',
  'retry-after', 'via', 'server',
];
export const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ADOPTED_TEST_ID = /^[a-z0-9._-]{1,128}$/;
const SLUG = /^[a-z][a-z0-9-]{0,63}$/;
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CAPS: Record<string, number> = { default: 2048, verbose: 4096, debug: 16384 };

type Check = { outcome: string[]; duration: 'null' | 'int'; metadata: Record<string, (v: unknown) => boolean> };
const int = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const intOrNull = (v: unknown) => v === null || int(v);
const str = (v: unknown) => typeof v === 'string';
const strOrNull = (v: unknown) => v === null || str(v);

export const BOUNDARY_CHECKS: Record<string, Check> = {
  'backend.request.ingress': { outcome: ['info'], duration: 'null', metadata: { method: str, path: str, content_length: intOrNull } },
  'backend.agent.enter': { outcome: ['info'], duration: 'null', metadata: { agent_name: str, model_id: strOrNull } },
  'backend.llm.call.start': { outcome: ['info'], duration: 'null', metadata: { provider: strOrNull, model: strOrNull, prompt_token_count_estimate: int } },
  'backend.llm.call.heartbeat': { outcome: ['info'], duration: 'null', metadata: { elapsed_ms_since_start: int } },
  'backend.llm.call.response': {
    outcome: ['ok', 'err'], duration: 'int',
    metadata: { provider: strOrNull, model: strOrNull, response_token_count: intOrNull, latency_ms: int, error_class: strOrNull },
  },
  'backend.sse.first_byte': { outcome: ['info'], duration: 'null', metadata: { delta_ms_from_ingress: int } },
  'backend.sse.event': { outcome: ['info'], duration: 'null', metadata: { event_type: str, payload_size_bytes: int, sequence_num: int } },
  'backend.sse.aborted': {
    outcome: ['err', 'timeout'], duration: 'int',
    metadata: { termination_kind: (v) => ['rst', 'timeout', 'chunk_error'].includes(v as string), bytes_before_abort: int },
  },
  'backend.agent.exit': {
    outcome: ['ok', 'err', 'timeout'], duration: 'int',
    metadata: { terminal_outcome: (v) => ['ok', 'err', 'timeout'].includes(v as string), total_duration_ms: int },
  },
  'backend.response.complete': {
    outcome: ['ok', 'err'], duration: 'int',
    metadata: { http_status: int, content_length: int, total_duration_ms: int, sse_event_count: int },
  },
  'backend.error.caught': {
    outcome: ['err'], duration: 'int',
    metadata: {
      exception_type: str,
      message_scrubbed: (v) => str(v) && Buffer.byteLength(v as string) <= 512,
      stack_brief: (v) => Array.isArray(v) && v.length <= 8 && v.every((f) => str(f?.file) && intOrNull(f?.line)),
      truncated: (v) => typeof v === 'boolean',
    },
  },
  'cvdiag.queue_dropped': { outcome: ['info'], duration: 'null', metadata: { dropped_count: int } },
};

const TERMINALS = new Set(['backend.response.complete', 'backend.sse.aborted']);
const LATE_ALLOWED = new Set(['backend.agent.exit', 'backend.llm.call.response']);

export interface ContractOptions {
  /** The tier the rows were written at; bounds each line's size. Default: debug. */
  tier?: 'default' | 'verbose' | 'debug';
  /** Test ids may be adopted non-UUIDv7 ids. */
  adoptedTestIds?: boolean;
  /** Traces that are not HTTP requests (decorated work outside a request): no terminal expected. */
  detachedTraces?: readonly string[];
}

/** One row against SPEC section 2 and the section 3 table. */
export function expectValidRow(row: CapturedRow, options: ContractOptions = {}): void {
  const where = `${row.boundary} row ${row.__line.slice(0, 300)}`;
  const fail = (what: string) => {
    throw new Error(`${what} — ${where}`);
  };
  const keys = Object.keys(row).filter((key) => key !== '__line');
  if (JSON.stringify(keys) !== JSON.stringify(KEY_ORDER)) fail(`keys out of order or missing: ${keys.join(',')}`);
  if (row.schema_version !== 1) fail('schema_version');
  if (!(UUIDV7.test(row.test_id) || (options.adoptedTestIds && ADOPTED_TEST_ID.test(row.test_id)))) fail('test_id');
  if (!UUIDV7.test(row.trace_id)) fail('trace_id');
  if (!/^[0-9a-f]{16}$/.test(row.span_id)) fail('span_id');
  if (row.parent_span_id !== null && !/^[0-9a-f]{16}$/.test(row.parent_span_id)) fail('parent_span_id');
  if (row.layer !== 'backend') fail('layer');
  const check = BOUNDARY_CHECKS[row.boundary];
  if (!check) fail('unknown boundary');
  if (!SLUG.test(row.slug)) fail('slug');
  if (typeof row.demo !== 'string' || row.demo.length > 256) fail('demo');
  if (!TS.test(row.ts) || Number.isNaN(Date.parse(row.ts))) fail('ts');
  if (!Number.isSafeInteger(row.mono_ns) || row.mono_ns < 0) fail('mono_ns');
  if (check.duration === 'null' ? row.duration_ms !== null : !int(row.duration_ms)) fail('duration_ms');
  if (!check.outcome.includes(row.outcome)) fail('outcome');
  if (JSON.stringify(Object.keys(row.edge_headers)) !== JSON.stringify(EDGE_KEYS)) fail('edge header keys');
  if (!Object.values(row.edge_headers).every(strOrNull)) fail('edge header values');
  for (const [key, value] of Object.entries(row.metadata)) {
    if (!(key in check.metadata)) fail(`undeclared metadata key ${key}`);
    if (!row._truncated && !check.metadata[key](value)) fail(`metadata ${key} = ${JSON.stringify(value)}`);
  }
  if (!row._truncated && !row._metadata_dropped) {
    for (const key of Object.keys(check.metadata)) if (!(key in row.metadata)) fail(`metadata ${key} missing`);
  }
  if (typeof row._metadata_dropped !== 'boolean' || typeof row._truncated !== 'boolean') fail('flags');
  const cap = CAPS[options.tier ?? 'debug'];
  if (Buffer.byteLength(row.__line) - 'CVDIAG '.length - 1 > cap) fail(`row over the ${cap}-byte cap`);
  if (row.outcome !== 'info' && row.boundary === 'backend.response.complete') {
    const status = row.metadata.http_status as number;
    if ((status < 400) !== (row.outcome === 'ok')) fail('complete outcome does not follow status');
  }
  if (row.boundary === 'backend.agent.exit' && row.metadata.terminal_outcome !== row.outcome) fail('exit outcome');
}

/** Every row, then every request's invariants (SPEC section 3). Returns rows grouped by trace. */
export function expectValidRows(rows: readonly CapturedRow[], options: ContractOptions = {}): Map<string, CapturedRow[]> {
  for (const row of rows) expectValidRow(row, options);
  const traces = byTrace(rows);
  for (const [traceId, trace] of traces) {
    expectRequestInvariants(trace, options.detachedTraces?.includes(traceId) ?? false, options.tier ?? 'debug');
  }
  return traces;
}

export function expectRequestInvariants(trace: readonly CapturedRow[], detached = false, tier = 'debug'): void {
  const describe = () => trace.map((row) => row.boundary).join(' → ');
  const fail = (what: string) => {
    throw new Error(`${what}: ${describe()}`);
  };
  const first = trace[0];
  for (const row of trace) {
    if (row.test_id !== first.test_id || row.slug !== first.slug || row.demo !== first.demo) fail('correlation differs within a request');
  }
  const ingressAt = trace.findIndex((row) => row.boundary === 'backend.request.ingress');
  if (ingressAt > 0) fail('ingress is not the first row');
  const terminals = trace.filter((row) => TERMINALS.has(row.boundary));
  if (!detached && terminals.length !== 1) fail(`expected exactly one terminal, found ${terminals.length}`);
  if (detached && terminals.length !== 0) fail('terminal on a detached trace');
  const terminalAt = trace.findIndex((row) => TERMINALS.has(row.boundary));
  if (terminalAt >= 0) {
    for (const row of trace.slice(terminalAt + 1)) {
      if (!LATE_ALLOWED.has(row.boundary)) fail(`${row.boundary} after the terminal`);
    }
  }
  const firstBytes = trace.filter((row) => row.boundary === 'backend.sse.first_byte');
  if (firstBytes.length > 1) fail('first_byte twice');
  const firstEventAt = trace.findIndex((row) => row.boundary === 'backend.sse.event');
  if (firstEventAt >= 0 && (firstBytes.length === 0 || trace.indexOf(firstBytes[0]) > firstEventAt)) fail('sse.event before first_byte');
  const sequence = trace.filter((row) => row.boundary === 'backend.sse.event').map((row) => row.metadata.sequence_num);
  if (sequence.some((value, index) => value !== index)) fail(`sequence_num has gaps: ${sequence.join(',')}`);
  const spans = new Set<string>();
  for (const row of trace) {
    if (row.parent_span_id !== null && !spans.has(row.parent_span_id)) fail(`parent_span_id of ${row.boundary} names no earlier row`);
    spans.add(row.span_id);
  }
  // Heartbeats only between their call's start and response.
  for (const [index, row] of trace.entries()) {
    if (row.boundary !== 'backend.llm.call.heartbeat') continue;
    const start = trace.findIndex((r) => r.span_id === row.parent_span_id);
    if (start < 0 || trace[start].boundary !== 'backend.llm.call.start') fail('heartbeat not parented by its llm.call.start');
    const response = trace.findIndex((r) => r.boundary === 'backend.llm.call.response' && r.parent_span_id === row.parent_span_id);
    if (response >= 0 && response < index) fail('heartbeat after its llm.call.response');
  }
  // At debug every event is written, so the terminal's count must match the rows.
  const terminal = terminals[0];
  if (tier === 'debug' && sequence.length > 0 && terminal?.boundary === 'backend.response.complete' && terminal.metadata.sse_event_count !== sequence.length) {
    fail(`sse_event_count ${String(terminal.metadata.sse_event_count)} but ${sequence.length} event rows`);
  }
}
