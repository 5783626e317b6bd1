import { writeSync } from 'node:fs';
import type { CvdiagSink } from '../lib';

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
