import { CvdiagSink } from './cvdiag-sink.interface';

/** Above this many bytes waiting in stdout's buffer, rows are dropped (and counted) instead of queued. */
const MAX_PENDING_BYTES = 1024 * 1024;

/**
 * The default sink: one `process.stdout.write` per row, so a row is never split
 * or interleaved with another. On Linux, stdout to a file or pipe is synchronous
 * and nothing queues; where it is asynchronous, the pending buffer is bounded.
 *
 * A stdout that fails (EPIPE: the reader of the pipe went away) emits 'error',
 * which crashes a process that has no listener. The sink listens once it first
 * writes, and from then on drops (and counts) rows instead of writing: losing
 * the diagnostics must not take the server down.
 */
export class StdoutSink implements CvdiagSink {
  private broken = false;
  private listening = false;

  write(line: string): boolean {
    const stdout = process.stdout;
    if (!this.listening) {
      this.listening = true;
      stdout.on('error', () => {
        this.broken = true;
      });
    }
    if (this.broken || stdout.destroyed || stdout.writableLength > MAX_PENDING_BYTES) return false;
    stdout.write(line);
    return true;
  }

  flush(): Promise<void> {
    const stdout = process.stdout;
    if (this.broken || !stdout.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => stdout.once('drain', () => resolve()));
  }
}
