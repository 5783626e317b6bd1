// The consumer suite: the packed package (`npm pack`), installed into small apps
// that stand for users' projects, each running its own e2e tests with its own
// test runner on each Node version it supports.
//
//   node compat/consumers/run.mjs                 every app, every Node of its row
//   node compat/consumers/run.mjs nest11-jest     one app
//
// Each app folder holds only what differs between users' setups (package.json,
// runner config, tsconfig); the app (shared/src) and the e2e test of its test
// runner (shared/test/agent.<runner>.e2e-spec.ts) are copied in, so all apps
// test the same user code. Those files are the README's Usage and Testing
// examples, word for word (test/readme.spec.ts checks it).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envWithNode } from '../../scripts/node-runtime.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');

/** Each app's test runner and the Node majors it runs on (and why, where it is fewer than all). */
export const MATRIX = {
  // `nest new`'s default: its Jest loads Nest 12 (ESM) through require(esm), which Jest supports from Node 24.9 on.
  'nest12-jest': { runner: 'jest', nodes: [24] },
  'nest12-jest-esm': { runner: 'jest', nodes: [22, 24] },
  'nest12-vitest-fastify': { runner: 'vitest', nodes: [22, 24] },
  'nest11-jest': { runner: 'jest', nodes: [20, 22, 24] },
};

const only = process.argv.slice(2);
for (const name of only) if (!(name in MATRIX)) throw new Error(`unknown consumer app ${name}; apps: ${Object.keys(MATRIX).join(', ')}`);
const apps = only.length > 0 ? only : Object.keys(MATRIX);

const run = (command, args, options) => execFileSync(command, args, { stdio: 'inherit', ...options });

// npm pack runs the package's prepack script (the build), as npm publish would.
const packDir = join(here, '.pack');
rmSync(packDir, { recursive: true, force: true });
mkdirSync(packDir);
run('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: repo, env: envWithNode(24), stdio: ['ignore', 'ignore', 'inherit'] });
const tarball = join(packDir, readdirSync(packDir).find((file) => file.endsWith('.tgz')));

const results = [];
for (const app of apps) {
  const folder = join(here, app);
  cpSync(join(here, 'shared', 'src'), join(folder, 'src'), { recursive: true });
  cpSync(join(here, 'shared', 'test', `agent.${MATRIX[app].runner}.e2e-spec.ts`), join(folder, 'test', 'agent.e2e-spec.ts'));
  const installEnv = envWithNode(MATRIX[app].nodes.at(-1));
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: folder, env: installEnv });
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: folder, env: installEnv });
  const nest = JSON.parse(readFileSync(join(folder, 'node_modules/@nestjs/core/package.json'), 'utf8')).version;
  for (const major of MATRIX[app].nodes) {
    const env = envWithNode(major);
    const node = execFileSync('node', ['--version'], { env, encoding: 'utf8' }).trim();
    console.log(`\n=== consumer ${app}: Nest ${nest}, Node ${node}, ${tarball.slice(packDir.length + 1)} ===`);
    try {
      // Type-check first: the test must compile as a user's would (typed rows, matcher types).
      run('npm', ['run', '--silent', 'typecheck'], { cwd: folder, env });
      run('npm', ['run', '--silent', 'test:e2e'], { cwd: folder, env: { ...env, CI: 'true' } });
      // The package's command, as users run it: `npx cvdiag`.
      const help = execFileSync('npx', ['--no-install', 'cvdiag', '--help'], { cwd: folder, env, encoding: 'utf8' });
      if (!/\bls\b[\s\S]*\bexplain\b[\s\S]*\breport\b/.test(help)) throw new Error(`npx cvdiag --help: ${help}`);
      results.push({ app, nest, node, ok: true });
    } catch {
      results.push({ app, nest, node, ok: false });
    }
  }
}

console.log('\nconsumer suite:');
for (const { app, nest, node, ok } of results) console.log(`  ${ok ? 'pass' : 'FAIL'}  ${app.padEnd(24)} Nest ${nest.padEnd(8)} Node ${node}`);
const failed = results.filter((result) => !result.ok).length;
console.log(`consumers: ${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
