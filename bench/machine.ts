import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** The library source measured: commit, and whether lib/ had uncommitted changes. */
  source: string;
  packages: Record<string, string>;
}

const PACKAGES = [
  '@nestjs/core',
  '@nestjs/common',
  '@nestjs/platform-express',
  '@nestjs/platform-fastify',
  'express',
  'fastify',
  'rxjs',
  'pino',
  'autocannon',
];

/** Read from node_modules directly: some packages' `exports` do not expose package.json. */
function versionOf(dir: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** Read-only git queries; the bench must also run from a tarball without git. */
function sourceVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'lib') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in lib/' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  const packages: Record<string, string> = { 'nestjs-cvdiag': versionOf(ROOT) };
  for (const name of PACKAGES) packages[name] = versionOf(join(ROOT, 'node_modules', name));
  return {
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
    source: sourceVersion(),
    packages,
  };
}
