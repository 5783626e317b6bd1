import { NODE_OBJECT_KEYS } from '../process-globals.js';
import { CvdiagSink } from './cvdiag-sink.interface.js';
import { holdRows, MAX_HOLD_MS, RowBatch } from './row-batch.js';

const HEALTH = NODE_OBJECT_KEYS.stdoutHealth;

/** Whether stdout failed, kept on the stream, watched by one 'error' listener however many sinks write. */
function stdoutHealth(stdout: NodeJS.WriteStream): { broken: boolean } {
  const holder = stdout as NodeJS.WriteStream & { [HEALTH]?: { broken: boolean } };
  let health = holder[HEALTH];
  if (health === undefined) {
    const created = { broken: false };
    health = created;
    Object.defineProperty(holder, HEALTH, { value: created, configurable: true, enumerable: false });
    stdout.on('error', () => {
      created.broken = true;
    });
  }
  return health;
}

/** Above this many bytes waiting (in stdout's queue, and held by `coalesce`), rows are dropped and counted. */
const MAX_PENDING_BYTES = 1024 * 1024;

export interface StdoutSinkOptions {
  /**
   * Write rows in batches instead of one write per row (at most 4 KiB per
   * write, so a pipe shared with other processes still takes each write
   * whole; each row is still one whole line):
   * - `true`: the rows of one event-loop turn together, written when the turn
   *   ends. Saves a system call per row whose turn also wrote others: most at
   *   debug tier, where a streamed response writes its event rows in bursts;
   * - `{ maxDelayMs }` (1 to 1000): rows held at most that long, so the rows
   *   of many requests share one write: this saves a system call per request
   *   at default tier too.
   * Its costs: a row appears at the end of its turn (or up to `maxDelayMs`
   * later), so code that reads stdout right after an `await` may not see it
   * yet; and held rows are lost when the process ends without running
   * JavaScript: SIGKILL, an out-of-memory kill, a native crash, or
   * SIGTERM/SIGINT/SIGHUP when nothing handles them (no
   * `app.enableShutdownHooks()`). Held rows are written out on app shutdown,
   * `process.exit()` and an uncaught exception. Default `false`: every row
   * is handed to stdout before the call that wrote it returns.
   */
  coalesce?: boolean | { maxDelayMs: number };
}

/**
 * The default sink: rows to `process.stdout`, a row never split or interleaved
 * with another. Stdout to a file is synchronous; to a pipe or socket, writes
 * the reader has not taken yet queue in the stream, and once more than 1 MiB
 * waits (with what `coalesce` holds), rows are dropped and counted instead.
 *
 * A stdout that fails (EPIPE: the reader of the pipe went away) emits 'error',
 * which crashes a process that has no listener. The first sink to write adds
 * one listener for the whole process, and from then on every sink drops (and
 * counts) rows instead of writing: losing
 * the diagnostics must not take the server down. (Rows `coalesce` already held
 * when stdout broke are lost without being counted: they were taken.)
 */
export class StdoutSink implements CvdiagSink {
  private readonly batch: RowBatch | null;

  constructor(options: StdoutSinkOptions = {}) {
    const maxDelayMs = holdTime(options?.coalesce);
    this.batch = maxDelayMs === null ? null : holdRows((text) => this.writeNow(text), maxDelayMs);
  }

  write(line: string): boolean {
    const stdout = process.stdout;
    const held = this.batch?.heldBytes ?? 0;
    if (stdoutHealth(stdout).broken || stdout.destroyed || stdout.writableLength + held > MAX_PENDING_BYTES) return false;
    if (this.batch) this.batch.add(line);
    else stdout.write(line);
    return true;
  }

  flush(): Promise<void> {
    this.batch?.writeOut();
    const stdout = process.stdout;
    if (stdoutHealth(stdout).broken || !stdout.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => stdout.once('drain', () => resolve()));
  }

  private writeNow(text: string): void {
    const stdout = process.stdout;
    if (stdoutHealth(stdout).broken || stdout.destroyed) return;
    stdout.write(text);
  }
}

/** How long `coalesce` holds rows: null for not at all, 0 for one event-loop turn. */
function holdTime(coalesce: unknown): number | null {
  if (coalesce === undefined || coalesce === false) return null;
  if (coalesce === true) return 0;
  const delay: unknown = typeof coalesce === 'object' && coalesce !== null ? (coalesce as { maxDelayMs?: unknown }).maxDelayMs : undefined;
  if (typeof delay === 'number' && Number.isInteger(delay) && delay >= 1 && delay <= MAX_HOLD_MS) return delay;
  throw new TypeError(
    `StdoutSink: "coalesce" must be a boolean or { maxDelayMs } with an integer from 1 to ${MAX_HOLD_MS}; got ${typeof coalesce === 'object' ? JSON.stringify(coalesce) : typeof coalesce}`,
  );
}
