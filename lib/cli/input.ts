import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { readLogLine } from '../analysis/log-lines.js';
import type { CvdiagRow } from '../envelope/envelope.types.js';

/** A row that could not be read, and where. */
export interface BadLine {
  source: string;
  line: number;
  reason: string;
}

export interface ReadHandlers {
  row(row: CvdiagRow): void;
  /** A line that is not a row (`tail` passes it through). */
  other?(line: string): void;
  bad(bad: BadLine): void;
}

/**
 * Reads each source line by line: a file (gzip when its name ends in `.gz`),
 * or `-` for stdin; no source means stdin. Lines are handed over as they come,
 * so memory does not grow with the input. `progress` is told the bytes read
 * of the files' total (for a progress bar).
 */
export async function readSources(sources: readonly string[], handlers: ReadHandlers, progress?: (read: number, total: number) => void): Promise<void> {
  const list = sources.length === 0 ? ['-'] : sources;
  const total = list.reduce((sum, source) => sum + (source === '-' ? 0 : sizeOf(source)), 0);
  let before = 0;
  for (const source of list) {
    const raw: Readable = source === '-' ? process.stdin : createReadStream(source);
    const onData = progress && source !== '-' ? (chunk: Buffer) => progress((before += chunk.length), total) : undefined;
    if (onData) raw.on('data', onData);
    const text = source.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    const done = new Promise<void>((resolve, reject) => {
      raw.once('error', reject);
      text.once('error', reject);
      text.once('end', resolve);
    });
    let line = 0;
    const name = source === '-' ? 'stdin' : source;
    for await (const text_ of createInterface({ input: text, crlfDelay: Infinity })) {
      line++;
      const read = readLogLine(text_);
      if (read.kind === 'row') handlers.row(read.row);
      else if (read.kind === 'invalid') handlers.bad({ source: name, line, reason: read.reason });
      else handlers.other?.(text_);
    }
    await done.catch((error: unknown) => {
      throw new Error(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    throw new Error(`${path}: no such file`);
  }
}
