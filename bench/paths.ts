import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The repository root. Compiled files live in bench/out/build/bench/, so the
 * root is four levels up from here; npm also runs scripts from the root, but
 * deriving it from this file keeps child processes independent of their cwd.
 */
export const ROOT = resolve(__dirname, '..', '..', '..', '..');

/** Scratch output (logs, raw JSON); git-ignored as bench/out/. */
export const OUT_DIR = join(ROOT, 'bench', 'out');

/** The compiled bench, where child-process entry points are forked from. */
export const BUILD_DIR = __dirname;

export function outFile(name: string): string {
  mkdirSync(OUT_DIR, { recursive: true });
  return join(OUT_DIR, name);
}
