/**
 * Table 3: 100k requests against one server at default tier, 20 % of them
 * leaving mid-stream. Proves the module holds no memory, timers or handles
 * per request, and writes exactly one terminal row per request.
 */
import { rmSync } from 'node:fs';
import type { BenchConfig } from './config';
import { countRows } from './count-rows';
import { outFile } from './paths';
import { SSE_EVENT_COUNT } from './servers/bench-app';
import type { Snapshot } from './servers/server-main';
import { spawnServer } from './servers/spawn-server';
import { ClientTally, runSoakClient } from './soak-client';

export interface SoakResult {
  adapter: string;
  tally: Omit<ClientTally, 'testIds'>;
  warmupSent: number;
  before: Snapshot;
  after: Snapshot;
  heapGrowth: number;
  /** Requests (warm-up and soak) with exactly one, none, or several terminal rows. */
  exactlyOne: number;
  missing: number;
  duplicated: number;
  /** Terminal rows whose test_id no request sent. */
  unknown: number;
  terminalsByKind: Record<string, number>;
  rows: number;
}

export async function runSoak(config: BenchConfig['soak'], log: (line: string) => void): Promise<SoakResult> {
  const logFile = outFile('soak-express-default.log');
  const server = await spawnServer({ adapter: 'express', mode: 'default' }, logFile, ['--expose-gc']);
  const plan = {
    url: `${server.url}/sse-slow`,
    concurrency: config.concurrency,
    disconnectEvery: config.disconnectEvery,
    maxMs: config.maxSeconds * 1000,
    expectedEvents: SSE_EVENT_COUNT,
  };
  let warmup: ClientTally;
  let tally: ClientTally;
  let before: Snapshot;
  let after: Snapshot;
  try {
    // Warm-up first, so JIT code, Nest's caches and pools are in the baseline, not in the growth.
    warmup = await runSoakClient({ ...plan, requests: config.warmupRequests });
    before = await server.snapshot();
    log(`  soak: warm-up ${warmup.sent} requests, heap ${(before.heapUsed / 1e6).toFixed(1)} MB`);
    tally = await runSoakClient({ ...plan, requests: config.requests });
    log(`  soak: ${tally.sent} requests in ${(tally.elapsedMs / 1000).toFixed(1)} s (${tally.disconnected} left mid-stream)`);
    after = await server.snapshot();
  } finally {
    await server.stop();
  }

  const counts = await countRows(logFile, true);
  const perId = counts.terminalsByTestId!;
  const sentIds = [...warmup.testIds, ...tally.testIds];
  let exactlyOne = 0;
  let missing = 0;
  let duplicated = 0;
  for (const id of sentIds) {
    const n = perId.get(id) ?? 0;
    if (n === 1) exactlyOne++;
    else if (n === 0) missing++;
    else duplicated++;
  }
  const sentSet = new Set(sentIds);
  let unknown = 0;
  for (const [id, n] of perId) if (!sentSet.has(id)) unknown += n;
  rmSync(logFile);

  const { testIds: _ids, ...tallyOut } = tally;
  return {
    adapter: 'express',
    tally: tallyOut,
    warmupSent: warmup.sent,
    before,
    after,
    heapGrowth: after.heapUsed / before.heapUsed - 1,
    exactlyOne,
    missing,
    duplicated,
    unknown,
    terminalsByKind: counts.terminalsByKind,
    rows: counts.rows,
  };
}
