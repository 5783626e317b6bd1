import { CvdiagSink } from './cvdiag-sink.interface';

/** Above this many bytes waiting in stdout's buffer, rows are dropped (and counted) instead of queued. */
const MAX_PENDING_BYTES = 1024 * 1024;

/**
 * The default sink: one `process.stdout.write` per row, so a row is never split
 * or interleaved with another. On Linux, stdout to a file or pipe is synchronous
 * and nothing queues; where it is asynchronous, the pending buffer is bounded.
 */
export class StdoutSink implements CvdiagSink {
  write(line: string): boolean {
    const stdout = process.stdout;
    if (stdout.writableLength > MAX_PENDING_BYTES) return false;
    stdout.write(line);
    return true;
  }

  flush(): Promise<void> {
    const stdout = process.stdout;
    if (!stdout.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => stdout.once('drain', () => resolve()));
  }
}
