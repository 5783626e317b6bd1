/**
 * The @nestjs/core version these tests run against. Each Jest config reads it
 * from the node_modules its module mapper resolves Nest from (the compat runs
 * map Nest to older versions) and hands it over as a global.
 */
export const NEST_VERSION: string = (globalThis as { __NEST_VERSION__?: string }).__NEST_VERSION__ ?? '0.0.0';

/** True when the running Nest is at least `minimum` (`major.minor.patch`). */
export function nestAtLeast(minimum: string): boolean {
  const have = NEST_VERSION.split('.').map(Number);
  const want = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if (have[i] !== want[i]) return have[i] > want[i];
  }
  return true;
}
