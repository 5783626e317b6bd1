import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { builtCommonJsEntry, repoRoot } from './repo-root';

/** A fixture script of test/fixtures run as its own Node process, with the built package's path as its first argument. */
export interface FixtureProcess {
  child: ChildProcess;
  /** What it wrote so far. */
  output: { stdout: string; stderr: string };
}

export function spawnFixture(script: string, ...args: string[]): FixtureProcess {
  const child = spawn(process.execPath, [join(repoRoot(), 'test/fixtures', script), builtCommonJsEntry(), ...args], {
    cwd: repoRoot(),
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return { child, output };
}
