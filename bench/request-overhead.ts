/**
 * Table 2: what the module costs a real server. For one adapter, the four
 * servers (no module, disabled, default, debug) run side by side, each in its
 * own child process; autocannon drives one at a time from this process over
 * loopback, in short slices that rotate through the four. A noisy spell of the
 * machine then lands on all four alike, and each mode's ratio is taken against
 * "no module" measured in the same rotation, then the median over rotations.
 */
import autocannon from 'autocannon';
import { rmSync } from 'node:fs';
import type { BenchConfig } from './config';
import { countRows } from './count-rows';
import { outFile } from './paths';
import { REFERENCE_MODES, type ModuleMode } from './servers/modes';
import type { AdapterName } from './servers/server-main';
import { RunningServer, spawnServer } from './servers/spawn-server';
import { median } from './stats';

export const ADAPTERS: AdapterName[] = ['express', 'fastify'];
export const MODES: ModuleMode[] = ['none', 'disabled', 'default', 'debug', 'default-coalesced', 'debug-coalesced', 'default-otel', ...REFERENCE_MODES];
export const ENDPOINTS = ['sse', 'json', 'agui'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface SliceSample {
  reqPerSec: number;
  p99Ms: number;
  /** Server process CPU (user + system) per request sent, µs. */
  cpuPerRequestUs: number;
  errors: number;
}

/** A Node.js the servers run on: the bench's own (Node 24) and Node 20 beside it. */
export interface NodeRuntime {
  /** `process.version` of that binary, e.g. v24.21.0. */
  version: string;
  execPath: string;
}

export interface OverheadResult {
  /** The Node.js version the servers ran on. */
  node: string;
  adapter: AdapterName;
  mode: ModuleMode;
  endpoint: Endpoint;
  /** One sample per rotation, in rotation order (index i pairs with "none" index i). */
  slices: SliceSample[];
  /** Requests over seconds, all slices together. */
  reqPerSec: number;
  /** Median of the slices' p99 latencies. */
  p99Ms: number;
  /** Median of the slices' server CPU per request, µs. */
  cpuPerRequestUs: number;
  /** Median over rotations of this mode's req/s divided by "no module"'s; 1 for "none". */
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  /** CVDIAG rows the server wrote per request sent (sanity: 0 for none/disabled). */
  rowsPerRequest: number;
  errors: number;
}

interface Running {
  mode: ModuleMode;
  server: RunningServer;
  logFile: string;
  rowsSoFar: number;
}

/** How each endpoint is asked: `agui` is a POST, as AG-UI clients send their runs. */
const REQUESTS: Record<Endpoint, { method?: string; headers?: Record<string, string>; body?: string }> = {
  sse: {},
  json: {},
  agui: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"threadId":"t1","runId":"r1","messages":[]}' },
};

function load(url: string, endpoint: Endpoint, connections: number, duration: number): Promise<autocannon.Result> {
  // autocannon only stops on a sample tick (1 s by default): sample at least as often as the run is long.
  return autocannon({ url, ...REQUESTS[endpoint], connections, duration, timeout: 10, sampleInt: Math.min(1000, Math.max(50, duration * 1000)) });
}

/** The servers of one adapter, started together (startup is mostly waiting on module loading). */
async function startAll(adapter: AdapterName, runtime: NodeRuntime): Promise<Running[]> {
  const started = await Promise.allSettled(
    MODES.map(async (mode) => {
      const logFile = outFile(`overhead-${adapter}-${mode}.log`);
      return { mode, logFile, server: await spawnServer({ adapter, mode }, logFile, [], runtime.execPath), rowsSoFar: 0 };
    }),
  );
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(running.map((r) => r.server.stop()));
    throw failed.reason;
  }
  return running;
}

/** New rows in a server's log since the last call: the server writes them synchronously, so the file is current. */
async function newRows(r: Running): Promise<number> {
  const { rows, malformed } = await countRows(r.logFile, false);
  if (malformed > 0) throw new Error(`${r.logFile}: ${malformed} malformed CVDIAG lines`);
  const added = rows - r.rowsSoFar;
  r.rowsSoFar = rows;
  return added;
}

async function measureEndpoint(
  node: string,
  adapter: AdapterName,
  endpoint: Endpoint,
  running: Running[],
  config: BenchConfig['overhead'],
  log: (line: string) => void,
): Promise<OverheadResult[]> {
  const sent = new Map<ModuleMode, number>();
  const slices = new Map<ModuleMode, Array<SliceSample & { total: number; duration: number }>>();
  for (const r of running) {
    sent.set(r.mode, 0);
    slices.set(r.mode, []);
    if (config.warmupSeconds > 0) {
      sent.set(r.mode, (await load(`${r.server.url}/${endpoint}`, endpoint, config.connections, config.warmupSeconds)).requests.sent);
    }
  }
  for (let slice = 0; slice < config.slices; slice++) {
    for (let k = 0; k < running.length; k++) {
      const r = running[(slice + k) % running.length]; // rotate who goes first
      const cpuBefore = await r.server.cpuMicros();
      const result = await load(`${r.server.url}/${endpoint}`, endpoint, config.connections, config.sliceSeconds);
      // Requests cut off when the slice ended are still being answered; let them finish before reading the CPU.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const cpuUsed = (await r.server.cpuMicros()) - cpuBefore;
      if (result['2xx'] === 0) throw new Error(`${adapter}/${r.mode} /${endpoint}: no successful response`);
      sent.set(r.mode, sent.get(r.mode)! + result.requests.sent);
      slices.get(r.mode)!.push({
        reqPerSec: result.requests.total / result.duration,
        p99Ms: result.latency.p99,
        cpuPerRequestUs: cpuUsed / result.requests.sent,
        errors: result.errors + result.timeouts + result.non2xx,
        total: result.requests.total,
        duration: result.duration,
      });
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 100)); // let the last in-flight responses finish

  const base = slices.get('none')!;
  const results: OverheadResult[] = [];
  for (const r of running) {
    const own = slices.get(r.mode)!;
    const ratios = own.map((s, i) => s.reqPerSec / base[i].reqPerSec);
    const rows = await newRows(r);
    const result: OverheadResult = {
      node,
      adapter,
      mode: r.mode,
      endpoint,
      slices: own.map(({ reqPerSec, p99Ms, cpuPerRequestUs, errors }) => ({ reqPerSec, p99Ms, cpuPerRequestUs, errors })),
      reqPerSec: own.reduce((n, s) => n + s.total, 0) / own.reduce((n, s) => n + s.duration, 0),
      p99Ms: median(own.map((s) => s.p99Ms)),
      cpuPerRequestUs: median(own.map((s) => s.cpuPerRequestUs)),
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      rowsPerRequest: rows / sent.get(r.mode)!,
      errors: own.reduce((n, s) => n + s.errors, 0),
    };
    log(
      `  ${node} ${adapter}/${endpoint}/${r.mode}: ${result.reqPerSec.toFixed(0)} req/s, p99 ${result.p99Ms} ms, ${result.cpuPerRequestUs.toFixed(0)} µs CPU/req, ` +
        `ratio ${(result.ratio * 100).toFixed(1)} % [${(result.ratioMin * 100).toFixed(0)}–${(result.ratioMax * 100).toFixed(0)}], ${result.rowsPerRequest.toFixed(2)} rows/req`,
    );
    results.push(result);
  }
  return results;
}

export async function measureRequestOverhead(
  config: BenchConfig['overhead'],
  runtimes: NodeRuntime[],
  log: (line: string) => void,
): Promise<OverheadResult[]> {
  const results: OverheadResult[] = [];
  for (const runtime of runtimes) {
    for (const adapter of ADAPTERS) {
      const running = await startAll(adapter, runtime);
      try {
        for (const endpoint of ENDPOINTS) results.push(...(await measureEndpoint(runtime.version, adapter, endpoint, running, config, log)));
      } finally {
        await Promise.all(running.map((r) => r.server.stop()));
        for (const r of running) rmSync(r.logFile, { force: true }); // debug logs reach hundreds of MB; only counts matter
      }
    }
  }
  return results;
}
