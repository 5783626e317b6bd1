import { basename, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scrub, SCRUB_SCAN_LIMIT } from '../scrub/scrub.js';
import { sliceCodePoints, truncateUtf8 } from '../scrub/cut.js';

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
    exception_type: cleanExceptionType(error),
    message_scrubbed: message,
    stack_brief: frames,
    truncated: messageCut || cut,
  };
}

/** Metadata of `backend.error.caught` for an error event a response carried (no stack: nothing was thrown). */
export function inBandErrorMetadata(type: string, rawMessage: string): Record<string, unknown> {
  const scrubbed = scrub(rawMessage);
  const message = truncateUtf8(scrubbed, MAX_MESSAGE_BYTES);
  return {
    exception_type: sliceCodePoints(scrub(type), MAX_TYPE_CHARS),
    message_scrubbed: message,
    stack_brief: [],
    truncated: rawMessage.length > SCRUB_SCAN_LIMIT || message.length < scrubbed.length,
  };
}

const MAX_TYPE_CHARS = 128;

/** `exceptionType`, as a row carries it: scrubbed, then bounded. */
export function cleanExceptionType(error: unknown): string {
  return sliceCodePoints(scrub(exceptionType(error)), MAX_TYPE_CHARS);
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

/** How many frames of a stack are looked at, at most (the default stack holds 10). */
const MAX_SCANNED_FRAMES = 32;

/**
 * Up to 8 `{file, line}` frames, the app's first: when the stack has frames of
 * the app itself, frames of CVDIAG and of Node's internals are left out (frames
 * of other packages, such as Nest's, stay: they show the way the error took).
 * Frames are found by searching for "\n    at " rather than splitting the
 * stack, which starts with the message and may be megabytes long.
 */
function stackBrief(error: unknown): { frames: StackFrame[]; cut: boolean } {
  let stack: unknown;
  try {
    stack = (error as { stack?: unknown } | null)?.stack;
  } catch {
    return { frames: [], cut: false };
  }
  if (typeof stack !== 'string') return { frames: [], cut: false };
  const scanned: ParsedFrame[] = [];
  let at = stack.indexOf(FRAME_MARKER);
  while (at >= 0 && scanned.length < MAX_SCANNED_FRAMES) {
    const start = at + FRAME_MARKER.length;
    const next = stack.indexOf('\n', start);
    scanned.push(parseFrame(stack.slice(start, next < 0 ? undefined : Math.min(next, start + 1024))));
    at = next < 0 ? -1 : stack.indexOf(FRAME_MARKER, next);
  }
  const hasAppFrames = scanned.some((frame) => frame.origin === 'app');
  const kept = hasAppFrames ? scanned.filter((frame) => frame.origin === 'app' || frame.origin === 'package') : scanned;
  const frames = kept.slice(0, MAX_FRAMES).map(({ file, line }) => ({ file, line }));
  return { frames, cut: kept.length > MAX_FRAMES || at >= 0 };
}

/** Whose code a frame is: the app's, another package's, CVDIAG's own, or Node's. */
type FrameOrigin = 'app' | 'package' | 'cvdiag' | 'node';

interface ParsedFrame extends StackFrame {
  origin: FrameOrigin;
}

/** `fn (/app/x.js:12:5)`, `/app/x.js:12:5` or `fn (file:///app/x.mjs:12:5)` → file and line. */
function parseFrame(text: string): ParsedFrame {
  const { location, line } = splitLocation(text);
  const { file, origin } = describeFile(location);
  return { file, line, origin };
}

function splitLocation(text: string): { location: string; line: number | null } {
  const location = text.endsWith(')') && text.includes(' (') ? text.slice(text.lastIndexOf(' (') + 2, -1) : text;
  // `file:line:col` (or `file:line`): numbers after the last colons.
  const last = location.lastIndexOf(':');
  if (last > 0 && isDigits(location, last + 1, location.length)) {
    const before = location.lastIndexOf(':', last - 1);
    if (before > 0 && isDigits(location, before + 1, last)) {
      return { location: location.slice(0, before), line: Number(location.slice(before + 1, last)) };
    }
    return { location: location.slice(0, last), line: Number(location.slice(last + 1)) };
  }
  return { location, line: null };
}

function isDigits(text: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/**
 * Where CVDIAG's own files are, read from this module's own stack frame (the
 * same code runs as ESM, CommonJS and TypeScript source, so neither
 * `import.meta.url` nor `__dirname` is available to all three): the folder above
 * `request/`, and for a packaged build (`dist/esm`, `dist/cjs`) the `dist` folder
 * holding both.
 */
const CVDIAG_ROOT = findOwnRoot();

function findOwnRoot(): string | null {
  try {
    const stack = new Error().stack ?? '';
    const at = stack.indexOf(FRAME_MARKER);
    if (at < 0) return null;
    const end = stack.indexOf('\n', at + FRAME_MARKER.length);
    const own = toPath(splitLocation(stack.slice(at + FRAME_MARKER.length, end < 0 ? undefined : end)).location);
    const root = dirname(dirname(own));
    const build = basename(root);
    return (build === 'esm' || build === 'cjs') && basename(dirname(root)) === 'dist' ? dirname(root) : root;
  } catch {
    return null;
  }
}

/** A `file://` URL (ESM frames) as a path; anything else as it is. */
function toPath(location: string): string {
  if (!location.startsWith('file://')) return location;
  try {
    return fileURLToPath(location);
  } catch {
    return location;
  }
}

interface DescribedFile {
  file: string;
  origin: FrameOrigin;
}

/** Scrubbed, cwd-relative, bounded file names with their origin; the same few files recur in every stack. */
const describedFiles = new Map<string, DescribedFile>();
const MAX_CACHED_FILES = 512;

function describeFile(location: string): DescribedFile {
  const cached = describedFiles.get(location);
  if (cached !== undefined) return cached;
  const path = toPath(location);
  const described = { file: cleanFile(path), origin: originOf(location, path) };
  if (describedFiles.size >= MAX_CACHED_FILES) describedFiles.clear();
  describedFiles.set(location, described);
  return described;
}

function originOf(location: string, path: string): FrameOrigin {
  // Node's modules, and V8's own frames without a file (`<anonymous>`, `index 0` of Promise.all, `native`).
  if (location.startsWith('node:') || location.startsWith('internal/') || !(location.includes('/') || location.includes('\\'))) {
    return 'node';
  }
  if (CVDIAG_ROOT && path.startsWith(CVDIAG_ROOT + sep)) return 'cvdiag';
  return path.includes(`${sep}node_modules${sep}`) ? 'package' : 'app';
}

function cleanFile(path: string): string {
  const cwd = process.cwd();
  const relative = path.startsWith(cwd + sep) ? path.slice(cwd.length + 1) : path;
  // Scrubbed whole, then cut: a cut first could leave a secret's tail too short to be recognised.
  const scrubbed = scrub(relative);
  return scrubbed.length > MAX_FILE_CHARS ? scrubbed.slice(-MAX_FILE_CHARS) : scrubbed;
}
