import { afterEach, beforeEach } from '@jest/globals';

const CVDIAG_VARIABLES = [
  'CVDIAG_BACKEND_EMITTER',
  'CVDIAG_DEBUG',
  'CVDIAG_VERBOSE',
  'CVDIAG_DEBUG_ALLOW_LIST',
  'SHOWCASE_ENV',
  'RAILWAY_ENVIRONMENT_NAME',
  'NODE_ENV',
];

/**
 * Sets the CVDIAG-related environment for each test of the enclosing describe
 * (unset names are removed) and restores the previous values afterwards.
 */
export function useEnv(values: Record<string, string | undefined>): void {
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    saved = Object.fromEntries(CVDIAG_VARIABLES.map((name) => [name, process.env[name]]));
    for (const name of CVDIAG_VARIABLES) delete process.env[name];
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

/** Debug tier in a test deployment, emitter on: every boundary is written. */
export const DEBUG_ENV = { CVDIAG_BACKEND_EMITTER: '1', CVDIAG_DEBUG: '1', SHOWCASE_ENV: 'test' };
