// A Node.js of a given major version, for tests and benchmarks that run on
// several: the machine's own `node` when it is that major, else the `node`
// package from the npm registry (it ships the official binary), installed once
// into .runtimes/node<major> (ignored by git).
//
//   node scripts/node-runtime.mjs 24   → prints the folder holding that `node`
//   node scripts/node-runtime.mjs 24 -- [node args] script.js [args]   → runs it on that Node
//   import { nodeBinDir } from './node-runtime.mjs'
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The versions CI runs, in one place. */
export const NODE_VERSIONS = { 20: '20.20.2', 22: '22.23.3', 24: '24.21.0' };

const runtimes = join(dirname(dirname(fileURLToPath(import.meta.url))), '.runtimes');

export function nodeBinDir(major) {
  const version = NODE_VERSIONS[major];
  if (!version) throw new Error(`no Node ${major} in NODE_VERSIONS (${Object.keys(NODE_VERSIONS).join(', ')})`);
  if (process.versions.node.split('.')[0] === String(major)) return dirname(process.execPath);
  const folder = join(runtimes, `node${major}`);
  const bin = join(folder, 'node_modules', '.bin');
  if (!existsSync(join(bin, 'node'))) {
    mkdirSync(folder, { recursive: true });
    // A manifest of its own, or npm would install into the repository above.
    writeFileSync(join(folder, 'package.json'), '{ "private": true }\n');
    execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node@${version}`], {
      cwd: folder,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return bin;
}

/** The environment that puts Node `major` first on the PATH (npm and npx then run on it too). */
export function envWithNode(major, env = process.env) {
  return { ...env, PATH: `${nodeBinDir(major)}:${env.PATH ?? ''}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [major, separator, ...command] = process.argv.slice(2);
  const bin = nodeBinDir(Number(major));
  if (separator !== '--') {
    process.stdout.write(`${bin}\n`);
  } else {
    const { status, signal } = spawnSync(join(bin, 'node'), command, { stdio: 'inherit', env: envWithNode(Number(major)) });
    process.exitCode = status ?? (signal ? 1 : 0);
  }
}
