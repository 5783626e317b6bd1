/**
 * Table 1: cost of one row, full path from RowSpec to a line in a file, beside
 * two baselines in the same process: the floor (JSON.stringify of the same
 * envelope + one writeSync) and pino writing the same object to a file. Also
 * the same path with the rows of a turn written together (`coalesce: true`).
 *
 * Runs as its own child process. Variants are interleaved batch by batch, in a
 * rotating order, so drift (CPU frequency, a noisy neighbour, the page cache)
 * hits all of them alike instead of whichever happened to run last.
 */
import { openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import pino from 'pino';
import { CorrelationContext } from '../lib/context/correlation-context';
import type { CvdiagEnvelope } from '../lib/envelope/envelope.types';
import type { CvdiagSink } from '../lib/sinks/cvdiag-sink.interface';
import { uuidv7, newSpanId } from '../lib/envelope/ids';
import { validateOptions } from '../lib/options/validate-options';
import { CvdiagRuntime } from '../lib/runtime/cvdiag-runtime';
import type { CvdiagTier } from '../lib/envelope/envelope.types';
import { runAsChild } from './child';
import type { BenchConfig } from './config';
import { errorCaughtRow, makeBenchError, sseEventRow } from './emit-fixtures';
import { CoalescingFileSink, FileSink } from './file-sink';
import { outFile } from './paths';
import { median, quantile } from './stats';

export type RowKind = 'backend.sse.event' | 'backend.error.caught';
export type Writer = 'cvdiag' | 'cvdiag-coalesced' | 'floor' | 'pino';

/**
 * Rows per event-loop turn for `cvdiag-coalesced`: what one streamed request
 * writes at debug tier (ingress, first byte, 10 events, terminal) when its
 * events come in one burst. Rows that arrive one per turn cost what `cvdiag` costs.
 */
export const ROWS_PER_TURN = 13;

export interface EmitResult {
  row: RowKind;
  writer: Writer;
  /** Per-row time from batch means, ns. */
  medianNs: number;
  p99Ns: number;
  /** p99 of rows timed one by one, timer overhead subtracted, ns (includes GC pauses a batch mean hides). */
  singleP99Ns: number;
  bytesPerRow: number;
  rows: number;
}

interface Variant {
  row: RowKind;
  writer: Writer;
  run: (count: number) => void;
  file: string;
  batchNs: number[];
  singleNs: number[];
  rows: number;
}

/** A context as a request would have it; the tier is the lowest that writes the row. */
function makeContext(sink: CvdiagSink, tier: CvdiagTier): CorrelationContext {
  const runtime = new CvdiagRuntime(validateOptions({ enabled: true, tier, slug: 'bench', sinks: [sink] }));
  const context = new CorrelationContext(runtime, { tier, testId: uuidv7(), traceId: uuidv7(), slug: 'bench', demo: 'chat' });
  context.rootSpanId = newSpanId();
  return context;
}

/** The envelope CVDIAG built for a row, captured once, for the baselines to write. */
function captureEnvelope(tier: CvdiagTier, emit: (context: CorrelationContext) => void): { envelope: CvdiagEnvelope; line: string } {
  let captured: { envelope: CvdiagEnvelope; line: string } | undefined;
  const runtime = new CvdiagRuntime(
    validateOptions({ enabled: true, tier, slug: 'bench', sinks: [{ write: (line, envelope) => void (captured = { line, envelope: structuredClone(envelope) }) }] }),
  );
  const context = new CorrelationContext(runtime, { tier, testId: uuidv7(), traceId: uuidv7(), slug: 'bench', demo: 'chat' });
  context.rootSpanId = newSpanId();
  emit(context);
  if (!captured) throw new Error('no row captured');
  return captured;
}

function variantsFor(row: RowKind, tier: CvdiagTier, makeRow: (context: CorrelationContext, i: number) => void): Variant[] {
  const slug = row.replace('backend.', '').replace('.', '-');
  const files = {
    cvdiag: outFile(`emit-${slug}-cvdiag.log`),
    coalesced: outFile(`emit-${slug}-cvdiag-coalesced.log`),
    floor: outFile(`emit-${slug}-floor.log`),
    pino: outFile(`emit-${slug}-pino.log`),
  };

  const context = makeContext(new FileSink(openSync(files.cvdiag, 'a')), tier);
  const coalescing = new CoalescingFileSink(openSync(files.coalesced, 'a'));
  const coalescedContext = makeContext(coalescing, tier);
  const { envelope } = captureEnvelope(tier, (ctx) => makeRow(ctx, 0));

  const floorFd = openSync(files.floor, 'a');
  const logger = pino({}, pino.destination({ dest: files.pino, sync: true }));

  const variant = (writer: Writer, file: string, run: (count: number) => void): Variant => ({
    row, writer, file, run, batchNs: [], singleNs: [], rows: 0,
  });
  return [
    variant('cvdiag', files.cvdiag, (n) => {
      for (let i = 0; i < n; i++) makeRow(context, i);
    }),
    variant('cvdiag-coalesced', files.coalesced, (n) => {
      for (let i = 0; i < n; i++) {
        makeRow(coalescedContext, i);
        if ((i + 1) % ROWS_PER_TURN === 0) coalescing.endTurn();
      }
      coalescing.endTurn();
    }),
    variant('floor', files.floor, (n) => {
      for (let i = 0; i < n; i++) writeSync(floorFd, `CVDIAG ${JSON.stringify(envelope)}\n`);
    }),
    variant('pino', files.pino, (n) => {
      for (let i = 0; i < n; i++) logger.info(envelope);
    }),
  ];
}

/** Median cost of an empty hrtime pair, subtracted from single-row samples. */
function timerOverheadNs(): number {
  const samples: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t0 = process.hrtime.bigint();
    samples.push(Number(process.hrtime.bigint() - t0));
  }
  return median(samples);
}

function timeBatch(variant: Variant, size: number): number {
  const t0 = process.hrtime.bigint();
  variant.run(size);
  return Number(process.hrtime.bigint() - t0) / size;
}

function timeSingles(variant: Variant, count: number, overheadNs: number): void {
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    variant.run(1);
    variant.singleNs.push(Math.max(0, Number(process.hrtime.bigint() - t0) - overheadNs));
  }
}

/** Empties the output files between rounds (outside the timed code) so the bench does not fill the disk. */
function truncateAll(variants: Variant[]): void {
  for (const variant of variants) truncateSync(variant.file, 0);
}

export async function measureEmitCost(config: BenchConfig['emit']): Promise<EmitResult[]> {
  const error = makeBenchError();
  const variants = [
    ...variantsFor('backend.sse.event', 'debug', (context, i) => context.emit(sseEventRow(context, i))),
    ...variantsFor('backend.error.caught', 'default', (context) => context.emit(errorCaughtRow(context, error))),
  ];
  const overheadNs = timerOverheadNs();
  const bytesPerRow = new Map<Variant, number>();

  for (let round = 0; round < config.warmupBatches + config.batches; round++) {
    const recorded = round >= config.warmupBatches;
    // Rotate the order every round so no variant always runs right after another's garbage.
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(round + k) % variants.length];
      const perRow = timeBatch(variant, config.batchSize);
      if (!recorded) continue;
      variant.batchNs.push(perRow);
      variant.rows += config.batchSize;
      timeSingles(variant, config.singleRowsPerRound, overheadNs);
    }
    if (round === 0) for (const variant of variants) bytesPerRow.set(variant, fileBytesPerRow(variant.file));
    truncateAll(variants);
  }

  return variants.map((variant) => ({
    row: variant.row,
    writer: variant.writer,
    medianNs: median(variant.batchNs),
    p99Ns: quantile(variant.batchNs, 0.99),
    singleP99Ns: quantile(variant.singleNs, 0.99),
    bytesPerRow: bytesPerRow.get(variant) ?? NaN,
    rows: variant.rows,
  }));
}

/** Average line length written so far, read back from the file (proves the rows really landed). */
function fileBytesPerRow(file: string): number {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').filter(Boolean);
  if (lines.length === 0) throw new Error(`${file}: no rows were written`);
  return Math.round(Buffer.byteLength(text) / lines.length);
}

if (require.main === module) {
  runAsChild<BenchConfig['emit'], EmitResult[]>(measureEmitCost);
}
