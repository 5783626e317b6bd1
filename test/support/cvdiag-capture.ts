import type { CvdiagEnvelope } from 'nestjs-cvdiag';
import { rowsFromOutput } from 'nestjs-cvdiag/testing';

const PREFIX = 'CVDIAG ';

/** A row read back from stdout, metadata untyped; `lineOf(row)` (nestjs-cvdiag/testing) gives the exact line. */
export type CapturedRow = CvdiagEnvelope;

/**
 * Records what the process writes to stdout. The library's real stdout sink
 * calls `process.stdout.write` once per row (once per turn's rows when it
 * coalesces); this sits at that outermost point, so everything between the app
 * and the terminal (envelope, scrubbing, caps, serialization, sink) runs for
 * real. Each write that starts with `CVDIAG ` must be one whole row (or whole
 * rows, where a test allows it), or `rows()` throws. Set CVDIAG_TEST_ECHO=1 to
 * also pass the rows through to the real stdout.
 */
export class StdoutCapture {
  private readonly writes: string[] = [];
  private readonly original = process.stdout.write;
  private active = false;
  private severalRowsPerWrite = false;

  start(): this {
    const original = this.original;
    const writes = this.writes;
    const echo = process.env.CVDIAG_TEST_ECHO === '1';
    this.active = true;
    process.stdout.write = function capture(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      if (text.startsWith(PREFIX)) {
        writes.push(text);
        if (!echo) {
          const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
          callback?.();
          return true;
        }
      }
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
    return this;
  }

  stop(): void {
    if (this.active) process.stdout.write = this.original;
    this.active = false;
  }

  clear(): void {
    this.writes.length = 0;
    this.severalRowsPerWrite = false;
  }

  /** For this test, a write may hold several whole rows (a coalescing sink). Otherwise each is exactly one. */
  allowSeveralRowsPerWrite(): void {
    this.severalRowsPerWrite = true;
  }

  /**
   * Every CVDIAG row written so far, parsed. Throws unless each write is
   * exactly one complete `CVDIAG ` line (or, after `allowSeveralRowsPerWrite()`,
   * whole lines only: never a part of one).
   */
  rows(): CapturedRow[] {
    return this.writes.flatMap((text) => {
      if (!text.endsWith('\n')) throw new Error(`a CVDIAG write does not end a line: ${JSON.stringify(text.slice(-200))}`);
      const lines = text.slice(0, -1).split('\n');
      if (lines.length > 1 && !this.severalRowsPerWrite) {
        throw new Error(`a CVDIAG write holds ${lines.length} rows; the default sink writes one per write`);
      }
      for (const body of lines) {
        if (!body.startsWith(PREFIX)) throw new Error(`a CVDIAG write holds a line that is not a row: ${JSON.stringify(body.slice(0, 200))}`);
      }
      return rowsFromOutput(text);
    });
  }

  /** The rows of one request (or one detached trace's test id), oldest first: the one helper for it. */
  rowsOf(testId: string): CapturedRow[] {
    return this.rows().filter((row) => row.test_id === testId);
  }

  /** How many `process.stdout.write` calls carried rows, and the longest of them in bytes. */
  writeStats(): { count: number; maxBytes: number } {
    return { count: this.writes.length, maxBytes: Math.max(0, ...this.writes.map((text) => Buffer.byteLength(text))) };
  }

  /** All raw text written as CVDIAG rows (for "no secret anywhere" checks). */
  text(): string {
    return this.writes.join('');
  }
}

export function boundariesOf(rows: readonly CapturedRow[]): string[] {
  return rows.map((row) => row.boundary);
}
