import type { FixedRateConfig } from './fixed-rate';
import type { InstructionsConfig } from './instructions';

/**
 * Every count and duration of one bench run in one place, so the full run and
 * the CI smoke run exercise exactly the same code with different sizes.
 */
export interface BenchConfig {
  smoke: boolean;
  emit: {
    /** Rows per timed batch: large enough that hrtime's own cost vanishes. */
    batchSize: number;
    /** Recorded batches per variant. */
    batches: number;
    /** Unrecorded batches per variant first (JIT, file cache). */
    warmupBatches: number;
    /** Rows timed one by one per variant and round, for the single-row p99. */
    singleRowsPerRound: number;
  };
  /** Stream parsing per event (table 1b). */
  parse: { batchSize: number; batches: number; warmupBatches: number };
  /** `cvdiag ls`/`explain` on generated logs (table 4). */
  cliRead: { sizesMb: number[] };
  /** scrub() per call (table 1c). */
  scrub: { batchSize: number; batches: number; warmupBatches: number };
  overhead: {
    /** Per server and endpoint, before any slice is recorded. */
    warmupSeconds: number;
    /** One autocannon run; the modes take turns, slice by slice. */
    sliceSeconds: number;
    /** Rotations through the modes: measured time per config = slices × sliceSeconds. */
    slices: number;
    connections: number;
  };
  /** Table 2a: CPU per request at a fixed, evenly paced rate. */
  fixedRate: FixedRateConfig;
  /** Table 2b: instructions per request under callgrind. */
  instructions: InstructionsConfig;
  soak: {
    requests: number;
    warmupRequests: number;
    concurrency: number;
    /** Every n-th request leaves mid-stream (5 → 20 %). */
    disconnectEvery: number;
    /** Hard bound on the soak's traffic phase, whatever the count. */
    maxSeconds: number;
  };
}

export const FULL: BenchConfig = {
  smoke: false,
  emit: { batchSize: 1000, batches: 300, warmupBatches: 30, singleRowsPerRound: 200 },
  parse: { batchSize: 1000, batches: 300, warmupBatches: 30 },
  scrub: { batchSize: 200, batches: 100, warmupBatches: 10 },
  cliRead: { sizesMb: [60, 300] },
  overhead: { warmupSeconds: 1.5, sliceSeconds: 1, slices: 6, connections: 10 },
  fixedRate: { ratePerSecond: 500, warmupSeconds: 2, sliceSeconds: 2, slices: 7 },
  instructions: { warmup: 2000, requests: 250, blocks: 8, adapters: ['express', 'fastify'], endpoints: ['agui'] },
  soak: { requests: 100_000, warmupRequests: 2_000, concurrency: 32, disconnectEvery: 5, maxSeconds: 150 },
};

export const SMOKE: BenchConfig = {
  smoke: true,
  emit: { batchSize: 100, batches: 10, warmupBatches: 2, singleRowsPerRound: 20 },
  parse: { batchSize: 100, batches: 10, warmupBatches: 2 },
  scrub: { batchSize: 20, batches: 10, warmupBatches: 2 },
  cliRead: { sizesMb: [2] },
  overhead: { warmupSeconds: 0, sliceSeconds: 0.2, slices: 1, connections: 4 },
  fixedRate: { ratePerSecond: 100, warmupSeconds: 0, sliceSeconds: 0.3, slices: 1 },
  instructions: { warmup: 10, requests: 10, blocks: 1, adapters: ['express'], endpoints: ['agui'] },
  soak: { requests: 500, warmupRequests: 50, concurrency: 8, disconnectEvery: 5, maxSeconds: 20 },
};
