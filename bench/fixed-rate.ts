/**
 * Table 2a: server CPU per request at a fixed, evenly paced rate, CVDIAG beside
 * its anchors (nestjs-pino, OpenTelemetry, a bare one-row floor) in the same
 * run. Per adapter the servers run side by side, each in its own process with
 * `--no-memory-reducer` (a server idle while the others are measured would
 * otherwise pay V8's memory reducer on its next slice); this process sends
 * each one requests at `ratePerSecond`, spread evenly over time (a request is
 * sent whenever its moment has come, checked every millisecond: no bursts), in
 * slices that rotate through the servers. CPU is the server process's user +
 * system time over the slice, divided by its requests.
 */
import { Agent, request } from 'node:http';
import { createReadStream, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { outFile } from './paths';
import type { ModuleMode } from './servers/modes';
import type { AdapterName } from './servers/server-main';
import { RunningServer, spawnServer } from './servers/spawn-server';
import { median, quantile } from './stats';
import type { NodeRuntime } from './request-overhead';

export interface FixedRateConfig {
  ratePerSecond: number;
  warmupSeconds: number;
  sliceSeconds: number;
  slices: number;
}

export const FIXED_RATE_MODES: ModuleMode[] = [
  'none',
  'default',
  'default-batched',
  'debug',
  'debug-batched',
  'pino',
  'otel',
  'floor',
  'noop-interceptor',
  'als-interceptor',
];
export const FIXED_RATE_ENDPOINTS = ['json', 'sse'] as const;
export type FixedRateEndpoint = (typeof FIXED_RATE_ENDPOINTS)[number];
const ADAPTERS: AdapterName[] = ['express', 'fastify'];

/** For a quick look at one cell: `BENCH_ONLY=express,json,none,default,floor` limits adapters, endpoints and modes (none is always kept). */
function only<T extends string>(all: readonly T[]): T[] {
  const picked = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
  const kept = all.filter((value) => picked.includes(value) || value === 'none');
  return picked.length === 0 || kept.filter((value) => value !== 'none').length === 0 ? [...all] : kept;
}

export interface FixedRateResult {
  node: string;
  adapter: AdapterName;
  endpoint: FixedRateEndpoint;
  mode: ModuleMode;
  /** Server CPU per request of each slice, µs, in rotation order. */
  slicesUs: number[];
  /** Median of the slices. */
  cpuPerRequestUs: number;
  /** Median over rotations of (this slice − "none" in the same rotation), µs; 0 for none. */
  addedUs: number;
  /** Spread of the added CPU over rotations: lowest and highest quartile. */
  addedQ1Us: number;
  addedQ3Us: number;
  /** Lines per request the server wrote to stdout (CVDIAG rows, pino lines or floor rows). */
  linesPerRequest: number;
  errors: number;
}

interface Running {
  mode: ModuleMode;
  server: RunningServer;
  logFile: string;
}

/** Sends `total` requests at `rate` per second, evenly paced; resolves when every response has ended. */
function paced(url: string, rate: number, seconds: number, agent: Agent): Promise<{ completed: number; errors: number }> {
  const total = Math.max(1, Math.round(rate * seconds));
  return new Promise((resolve) => {
    let sent = 0;
    let ended = 0;
    let errors = 0;
    const start = performance.now();
    const finish = () => {
      if (++ended === total) resolve({ completed: total - errors, errors });
    };
    const fire = () => {
      const req = request(url, { agent }, (res) => {
        if (res.statusCode !== 200) errors++;
        res.resume();
        res.once('end', finish);
        res.once('error', () => {
          errors++;
          finish();
        });
      });
      req.once('error', () => {
        errors++;
        finish();
      });
      req.end();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (sent < due) {
        sent++;
        fire();
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}

/** Lines in a server's stdout file: what it wrote per request. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.length > 0) lines++;
  return lines;
}

async function measureAdapter(
  runtime: NodeRuntime,
  adapter: AdapterName,
  config: FixedRateConfig,
  log: (line: string) => void,
): Promise<FixedRateResult[]> {
  const running: Running[] = [];
  try {
    for (const mode of only(FIXED_RATE_MODES)) {
      const logFile = outFile(`fixed-rate-${adapter}-${mode}.log`);
      running.push({ mode, logFile, server: await spawnServer({ adapter, mode }, logFile, ['--no-memory-reducer'], runtime.execPath) });
    }
    const results: FixedRateResult[] = [];
    for (const endpoint of only(FIXED_RATE_ENDPOINTS)) {
      const agent = new Agent({ keepAlive: true, maxSockets: 32 });
      const samples = new Map<ModuleMode, number[]>(running.map((r) => [r.mode, []]));
      const errors = new Map<ModuleMode, number>(running.map((r) => [r.mode, 0]));
      const linesBefore = new Map<ModuleMode, number>();
      let requestsMeasured = 0;
      for (const r of running) {
        if (config.warmupSeconds > 0) await paced(`${r.server.url}/${endpoint}`, config.ratePerSecond, config.warmupSeconds, agent);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const r of running) linesBefore.set(r.mode, await countLines(r.logFile));
      for (let slice = 0; slice < config.slices; slice++) {
        for (let k = 0; k < running.length; k++) {
          const r = running[(slice + k) % running.length];
          const before = await r.server.cpuMicros();
          const outcome = await paced(`${r.server.url}/${endpoint}`, config.ratePerSecond, config.sliceSeconds, agent);
          await new Promise((resolve) => setTimeout(resolve, 20)); // batched rows and spans go out
          const used = (await r.server.cpuMicros()) - before;
          samples.get(r.mode)!.push(used / (outcome.completed + outcome.errors));
          errors.set(r.mode, errors.get(r.mode)! + outcome.errors);
        }
        requestsMeasured += Math.round(config.ratePerSecond * config.sliceSeconds);
      }
      agent.destroy();
      const none = samples.get('none')!;
      for (const r of running) {
        const own = samples.get(r.mode)!;
        const added = own.map((value, i) => value - none[i]);
        const lines = (await countLines(r.logFile)) - linesBefore.get(r.mode)!;
        const result: FixedRateResult = {
          node: runtime.version,
          adapter,
          endpoint,
          mode: r.mode,
          slicesUs: own,
          cpuPerRequestUs: median(own),
          addedUs: r.mode === 'none' ? 0 : median(added),
          addedQ1Us: r.mode === 'none' ? 0 : quantile(added, 0.25),
          addedQ3Us: r.mode === 'none' ? 0 : quantile(added, 0.75),
          linesPerRequest: lines / requestsMeasured,
          errors: errors.get(r.mode)!,
        };
        log(
          `  ${runtime.version} ${adapter}/${endpoint}/${r.mode}: ${result.cpuPerRequestUs.toFixed(0)} µs CPU/req, added ${result.addedUs.toFixed(0)} ` +
            `[${result.addedQ1Us.toFixed(0)}–${result.addedQ3Us.toFixed(0)}], ${result.linesPerRequest.toFixed(2)} lines/req`,
        );
        results.push(result);
      }
    }
    return results;
  } finally {
    await Promise.all(running.map((r) => r.server.stop()));
    for (const r of running) rmSync(r.logFile, { force: true });
  }
}

export async function measureFixedRate(config: FixedRateConfig, runtimes: NodeRuntime[], log: (line: string) => void): Promise<FixedRateResult[]> {
  const results: FixedRateResult[] = [];
  for (const runtime of runtimes) {
    for (const adapter of only(ADAPTERS)) results.push(...(await measureAdapter(runtime, adapter, config, log)));
  }
  return results;
}
