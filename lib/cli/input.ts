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
  /** A line holding `CVDIAG {` whose row cannot be read, or (line 0) a source that cannot be read. */
  bad(bad: BadLine, line: string): void;
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
    const name = source === '-' ? 'stdin' : source;
    try {
      await readOne(source, name, handlers, progress && source !== '-' ? (bytes) => progress((before += bytes), total) : undefined);
    } catch (error) {
      // A file that cannot be read (missing, a folder, a cut .gz) is reported; the others are still read.
      handlers.bad({ source: name, line: 0, reason: `cannot read: ${error instanceof Error ? error.message : String(error)}` }, '');
    }
  }
}

async function readOne(source: string, name: string, handlers: ReadHandlers, onBytes?: (bytes: number) => void): Promise<void> {
  const raw: Readable = source === '-' ? process.stdin : createReadStream(source);
  if (onBytes) raw.on('data', (chunk: Buffer) => onBytes(chunk.length));
  const text = source.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  // Errors of the file stream reach the gunzip stream too, and the line reader rejects with them.
  if (text !== raw) raw.once('error', (error) => text.destroy(error));
  let line = 0;
  for await (const content of createInterface({ input: text, crlfDelay: Infinity })) {
    line++;
    const read = readLogLine(content);
    if (read.kind === 'row') handlers.row(read.row);
    else if (read.kind === 'invalid') handlers.bad({ source: name, line, reason: read.reason }, content);
    else handlers.other?.(content);
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0; // reported when it is read
  }
}
