import { TIERS } from '../envelope/boundaries.js';
import { SLUG_PATTERN } from '../correlation/correlate.js';
import { StdoutSink } from '../sinks/stdout.sink.js';
import { CvdiagModuleOptions, ResolvedCvdiagOptions } from './cvdiag-options.interface.js';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
/** setInterval's own upper bound. */
const MAX_INTERVAL_MS = 2 ** 31 - 1;

const OPTION_NAMES = ['enabled', 'tier', 'slug', 'heartbeatIntervalMs', 'adoptTestId', 'exclude', 'sinks', 'echoTestId'] as const;

/** Thrown at startup for an option that cannot work; the message names the option and what it allows. */
export class CvdiagOptionsError extends Error {
  constructor(option: string, allowed: string, received: unknown) {
    super(`CvdiagModule option "${option}" must be ${allowed}; received ${describe(received)}.`);
    this.name = 'CvdiagOptionsError';
  }
}

export function validateOptions(input: CvdiagModuleOptions | undefined | null): ResolvedCvdiagOptions {
  const options = (input ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new CvdiagOptionsError('options', 'an object', input);
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new CvdiagOptionsError(key, `one of the known options (${OPTION_NAMES.join(', ')})`, 'an unknown option');
    }
  }
  const { enabled, tier, slug, heartbeatIntervalMs, adoptTestId, exclude, sinks, echoTestId } = options;

  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw new CvdiagOptionsError('enabled', 'true, false or unset (then CVDIAG_BACKEND_EMITTER decides)', enabled);
  }
  if (tier !== undefined && !(TIERS as readonly unknown[]).includes(tier)) {
    throw new CvdiagOptionsError('tier', `one of ${TIERS.map((t) => `"${t}"`).join(', ')}`, tier);
  }
  if (slug !== undefined && (typeof slug !== 'string' || !SLUG_PATTERN.test(slug))) {
    throw new CvdiagOptionsError('slug', 'a string matching ^[a-z][a-z0-9-]{0,63}$', slug);
  }
  if (
    heartbeatIntervalMs !== undefined &&
    !(Number.isInteger(heartbeatIntervalMs) && (heartbeatIntervalMs as number) >= 1 && (heartbeatIntervalMs as number) <= MAX_INTERVAL_MS)
  ) {
    throw new CvdiagOptionsError('heartbeatIntervalMs', `an integer from 1 to ${MAX_INTERVAL_MS}`, heartbeatIntervalMs);
  }
  if (adoptTestId !== undefined && typeof adoptTestId !== 'boolean') {
    throw new CvdiagOptionsError('adoptTestId', 'true or false', adoptTestId);
  }
  if (echoTestId !== undefined && typeof echoTestId !== 'boolean') {
    throw new CvdiagOptionsError('echoTestId', 'true or false', echoTestId);
  }
  if (
    exclude !== undefined &&
    !(Array.isArray(exclude) && exclude.every((entry) => entry instanceof RegExp || (typeof entry === 'string' && entry.startsWith('/'))))
  ) {
    throw new CvdiagOptionsError('exclude', 'an array of paths starting with "/" (optionally ending in "/*") or RegExps', exclude);
  }
  if (
    sinks !== undefined &&
    !(Array.isArray(sinks) && sinks.every((sink) => typeof sink === 'object' && sink !== null && typeof sink.write === 'function'))
  ) {
    throw new CvdiagOptionsError('sinks', 'an array of objects with a write(line, envelope) method', sinks);
  }

  return {
    enabled: enabled as boolean | undefined,
    tier: tier as ResolvedCvdiagOptions['tier'],
    slug: slug as string | undefined,
    heartbeatIntervalMs: (heartbeatIntervalMs as number | undefined) ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    adoptTestId: (adoptTestId as boolean | undefined) ?? false,
    exclude: (exclude as Array<string | RegExp> | undefined) ?? [],
    sinks: (sinks as ResolvedCvdiagOptions['sinks'] | undefined) ?? [new StdoutSink()],
    echoTestId: (echoTestId as boolean | undefined) ?? false,
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value === 'an unknown option' ? value : JSON.stringify(value.slice(0, 80));
  if (Array.isArray(value)) return 'an array with an invalid entry';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
