import { CvdiagSink } from './cvdiag-sink.interface.js';
import { coalesceUntilTurnEnds, RowBatch } from './row-batch.js';

/** Above this many bytes waiting (in stdout's queue, and held by `coalesce`), rows are dropped and counted. */
const MAX_PENDING_BYTES = 1024 * 1024;

export interface StdoutSinkOptions {
  /**
   * Write the rows of one event-loop turn together, with one write when the
   * turn ends (at most 4 KiB per write, so a pipe shared with other processes
   * still takes each write whole), instead of one write per row. Each row is
   * still one whole line. Saves a system call per row whose turn also wrote
   * others: most at debug tier, where a streamed response writes its event rows
   * in bursts. Its costs: a row appears at the end of the turn that wrote it, so
   * code that reads stdout right after an `await` may not see it yet; and a
   * process that ends without running its `exit` handlers loses that turn's
   * rows (SIGKILL, a native crash, or SIGTERM/SIGINT/SIGHUP when nothing handles
   * them, e.g. no `app.enableShutdownHooks()`). Default `false`: every row is
   * handed to stdout before the call that wrote it returns.
   */
  coalesce?: boolean;
}

/**
 * The default sink: rows to `process.stdout`, a row never split or interleaved
 * with another. Stdout to a file is synchronous; to a pipe or socket, writes
 * the reader has not taken yet queue in the stream, and once more than 1 MiB
 * waits (with what `coalesce` holds), rows are dropped and counted instead.
 *
 * A stdout that fails (EPIPE: the reader of the pipe went away) emits 'error',
 * which crashes a process that has no listener. The sink listens once it first
 * writes, and from then on drops (and counts) rows instead of writing: losing
 * the diagnostics must not take the server down. (Rows `coalesce` already held
 * when stdout broke are lost without being counted: they were taken.)
 */
export class StdoutSink implements CvdiagSink {
  private broken = false;
  private listening = false;
  private readonly batch: RowBatch | null;

  constructor(options: StdoutSinkOptions = {}) {
    const coalesce: unknown = options?.coalesce;
    if (coalesce !== undefined && typeof coalesce !== 'boolean') {
      throw new TypeError(`StdoutSink: "coalesce" must be a boolean, got ${typeof coalesce}`);
    }
    this.batch = coalesce === true ? coalesceUntilTurnEnds((text) => this.writeNow(text)) : null;
  }

  write(line: string): boolean {
    const stdout = process.stdout;
    if (!this.listening) {
      this.listening = true;
      stdout.on('error', () => {
        this.broken = true;
      });
    }
    const held = this.batch?.heldBytes ?? 0;
    if (this.broken || stdout.destroyed || stdout.writableLength + held > MAX_PENDING_BYTES) return false;
    if (this.batch) this.batch.add(line);
    else stdout.write(line);
    return true;
  }

  flush(): Promise<void> {
    this.batch?.writeOut();
    const stdout = process.stdout;
    if (this.broken || !stdout.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => stdout.once('drain', () => resolve()));
  }

  private writeNow(text: string): void {
    const stdout = process.stdout;
    if (this.broken || stdout.destroyed) return;
    stdout.write(text);
  }
}
