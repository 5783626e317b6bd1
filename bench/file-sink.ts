import { writeSync } from 'node:fs';
import type { CvdiagSink } from '../lib';
import { holdRows, RowBatch } from '../lib/sinks/row-batch';

/**
 * A sink that writes each row to a file descriptor with one synchronous
 * write(2), exactly like the floor baseline, so the emit bench compares the
 * library's row building and nothing else.
 */
export class FileSink implements CvdiagSink {
  constructor(private readonly fd: number) {}

  write(line: string): boolean {
    writeSync(this.fd, line);
    return true;
  }
}

/**
 * The same file, written the way `new StdoutSink({ coalesce: true })` writes
 * stdout: rows held in the library's own batch and written together. The bench
 * ends a "turn" by calling `endTurn()` (in an app the event loop does).
 */
export class CoalescingFileSink implements CvdiagSink {
  private readonly batch: RowBatch;

  constructor(fd: number) {
    this.batch = holdRows((text) => writeSync(fd, text));
  }

  write(line: string): boolean {
    this.batch.add(line);
    return true;
  }

  endTurn(): void {
    this.batch.writeOut();
  }
}
