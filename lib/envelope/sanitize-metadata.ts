import { scrub } from '../scrub/scrub.js';
import { BOUNDARY_RULES } from './boundaries.js';
import { CvdiagBoundary } from './envelope.types.js';

const MAX_DEPTH = 4;
const MAX_ENTRIES = 64;

export interface SanitizedMetadata {
  metadata: Record<string, unknown>;
  dropped: boolean;
}

/**
 * Keeps only the keys the boundary declares and copies their values into plain
 * JSON: strings scrubbed at any depth, non-finite numbers as null, BigInt as a
 * number or string, cycles and throwing getters replaced. The caller's object is
 * never mutated and nothing here throws.
 */
export function sanitizeMetadata(boundary: CvdiagBoundary, input: Record<string, unknown>): SanitizedMetadata {
  const allowed = BOUNDARY_RULES[boundary].metadataKeys;
  const metadata: Record<string, unknown> = {};
  let dropped = false;
  let keys: string[];
  try {
    keys = Object.keys(input);
  } catch {
    return { metadata, dropped: true };
  }
  for (const key of keys) {
    if (!allowed.has(key)) {
      dropped = true;
      continue;
    }
    metadata[key] = copyValue(readProperty(input, key), 0, undefined);
  }
  return { metadata, dropped };
}

function readProperty(source: object, key: string): unknown {
  try {
    return (source as Record<string, unknown>)[key];
  } catch {
    return '[unreadable]';
  }
}

/** `seen` guards against cycles; created only once a value is an object, as most metadata is flat. */
function copyValue(value: unknown, depth: number, seen: WeakSet<object> | undefined): unknown {
  switch (typeof value) {
    case 'string':
      return scrub(value);
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      return value;
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'object':
      return value === null ? null : copyObject(value, depth, seen ?? new WeakSet());
    default:
      return null; // undefined, functions and symbols have no JSON form
  }
}

function copyObject(value: object, depth: number, seen: WeakSet<object>): unknown {
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[truncated]';
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return value.slice(0, MAX_ENTRIES).map((item) => copyValue(item, depth + 1, seen));
    }
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value).slice(0, MAX_ENTRIES)) {
      copy[key] = copyValue(readProperty(value, key), depth + 1, seen);
    }
    return copy;
  } catch {
    return '[unreadable]';
  } finally {
    seen.delete(value);
  }
}
