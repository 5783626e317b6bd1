import { scrub, SCRUB_SCAN_LIMIT } from '../scrub/scrub';
import { truncateUtf8 } from '../scrub/truncate-utf8';

const MAX_MESSAGE_BYTES = 512;
const MAX_FRAMES = 8;
const MAX_FILE_CHARS = 200;
const FRAME_MARKER = '\n    at ';

export interface StackFrame {
  file: string;
  line: number | null;
}

/** Metadata of `backend.error.caught` for any thrown value. Never throws. */
export function errorMetadata(error: unknown): Record<string, unknown> {
  const rawMessage = readMessage(error);
  const scrubbed = scrub(rawMessage);
  const message = truncateUtf8(scrubbed, MAX_MESSAGE_BYTES);
  const { frames, cut } = stackBrief(error);
  // Redaction changes the length too; only the scan limit and the byte cap cut.
  const messageCut = rawMessage.length > SCRUB_SCAN_LIMIT || message.length < scrubbed.length;
  return {
    exception_type: scrub(exceptionType(error)).slice(0, 128),
    message_scrubbed: message,
    stack_brief: frames,
    truncated: messageCut || cut,
  };
}

/** The class name of an error (`RuntimeError`, `NotFoundException`), else the JS type of what was thrown. */
export function exceptionType(error: unknown): string {
  try {
    if (typeof error === 'object' && error !== null) {
      const ctorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
      if (typeof ctorName === 'string' && ctorName && ctorName !== 'Object') return ctorName;
      const name = (error as { name?: unknown }).name;
      if (typeof name === 'string' && name) return name;
      return 'Object';
    }
    return typeof error;
  } catch {
    return 'unknown';
  }
}

function readMessage(error: unknown): string {
  try {
    if (typeof error === 'object' && error !== null) {
      const message = (error as { message?: unknown }).message;
      return typeof message === 'string' ? message : '';
    }
    return typeof error === 'string' ? error : String(error);
  } catch {
    return '';
  }
}

/**
 * Up to 8 `{file, line}` frames. Frames are found by searching for "\n    at "
 * rather than splitting the stack, which starts with the message and may be
 * megabytes long.
 */
function stackBrief(error: unknown): { frames: StackFrame[]; cut: boolean } {
  let stack: unknown;
  try {
    stack = (error as { stack?: unknown } | null)?.stack;
  } catch {
    return { frames: [], cut: false };
  }
  if (typeof stack !== 'string') return { frames: [], cut: false };
  const frames: StackFrame[] = [];
  let at = stack.indexOf(FRAME_MARKER);
  while (at >= 0 && frames.length < MAX_FRAMES) {
    const start = at + FRAME_MARKER.length;
    const next = stack.indexOf('\n', start);
    frames.push(parseFrame(stack.slice(start, next < 0 ? undefined : Math.min(next, start + 1024))));
    at = next < 0 ? -1 : stack.indexOf(FRAME_MARKER, next);
  }
  return { frames, cut: at >= 0 };
}

/** `fn (/app/x.js:12:5)` or `/app/x.js:12:5` → file and line. */
function parseFrame(text: string): StackFrame {
  const location = text.endsWith(')') && text.includes(' (') ? text.slice(text.lastIndexOf(' (') + 2, -1) : text;
  // `file:line:col` (or `file:line`): numbers after the last colons.
  let file = location;
  let line: number | null = null;
  const last = location.lastIndexOf(':');
  if (last > 0 && isDigits(location, last + 1, location.length)) {
    const before = location.lastIndexOf(':', last - 1);
    if (before > 0 && isDigits(location, before + 1, last)) {
      file = location.slice(0, before);
      line = Number(location.slice(before + 1, last));
    } else {
      file = location.slice(0, last);
      line = Number(location.slice(last + 1));
    }
  }
  return { file: cleanFile(file), line };
}

function isDigits(text: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/** Scrubbed, cwd-relative, bounded file names; the same few files recur in every stack. */
const cleanFiles = new Map<string, string>();
const MAX_CACHED_FILES = 512;

function cleanFile(file: string): string {
  const cached = cleanFiles.get(file);
  if (cached !== undefined) return cached;
  const cwd = process.cwd();
  const relative = file.startsWith(cwd) ? file.slice(cwd.length + 1) : file;
  // Scrubbed whole, then cut: a cut first could leave a secret's tail too short to be recognised.
  const scrubbed = scrub(relative);
  const clean = scrubbed.length > MAX_FILE_CHARS ? scrubbed.slice(-MAX_FILE_CHARS) : scrubbed;
  if (cleanFiles.size >= MAX_CACHED_FILES) cleanFiles.clear();
  cleanFiles.set(file, clean);
  return clean;
}
