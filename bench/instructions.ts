/**
 * Table 2b: CPU instructions per request, counted by valgrind's callgrind in
 * the server process (user space: Node, V8's generated code, the garbage
 * collector; not the kernel). Unlike time on this shared 2-core VM, where
 * one core at times runs whole processes at half speed, the count repeats:
 * with V8's `--predictable` (no concurrent compiler or GC threads, fixed
 * seeds) two runs of one server agree within 0.1 %. So it can resolve the few
 * µs that separate two versions of the library, which timed runs cannot.
 * Work driven by time still enters the count (timers; V8's memory reducer,
 * switched off here with `--no-memory-reducer`), and a server under valgrind
 * runs about 50 times slower, so how busy the machine is can move it: the
 * servers that are compared (one adapter and endpoint) run side by side.
 *
 * Each server handles `warmup` requests one at a time on one keep-alive
 * connection, then `blocks` blocks of `requests`; the counters are zeroed
 * before and dumped after each block. Requests are sequential, so each one is
 * handled alone, as at a low rate. A block's count includes what the garbage
 * collector and the JIT compilers did in it: young-generation collections
 * come every few hundred requests, in proportion to what a request allocates,
 * and so are in every block; a full collection or a late optimisation lands
 * in one block of one server and not in the same block of another. The
 * median of the blocks keeps those out of the comparison.
 *
 * `--base <dir>` adds the same servers with another build of the library, for
 * before/after: e.g. commit 6bb5189 (before issue 10's stream parsing), built
 * in a worktree that shares this checkout's node_modules:
 *   git worktree add /tmp/base 6bb5189 && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   (cd /tmp/base && npm run build)
 *   npm run bench -- --only instructions --base /tmp/base/dist/cjs
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { BUILD_DIR, OUT_DIR, ROOT } from './paths';
import type { LibraryServerSpec } from './servers/library-server';
import { benchEnv } from './servers/spawn-server';
import { median } from './stats';

export interface InstructionsConfig {
  /** Requests before counting (JIT, caches), per server. */
  warmup: number;
  /** Requests per counted block. */
  requests: number;
  blocks: number;
  adapters: Array<LibraryServerSpec['adapter']>;
  endpoints: InstructionsEndpoint[];
}

export type InstructionsEndpoint = 'agui' | 'json';

export interface InstructionsResult {
  /** `now` (this checkout's dist/cjs) or `base` (the `--base` build). */
  build: 'now' | 'base';
  adapter: LibraryServerSpec['adapter'];
  mode: LibraryServerSpec['mode'];
  endpoint: InstructionsEndpoint;
  /** Instructions per request in each block. */
  perBlock: number[];
  /** Median over the blocks. */
  perRequest: number;
  /** CVDIAG rows the server wrote per request (a check that it did what is counted). */
  rowsPerRequest: number;
}

const ENDPOINTS: Record<InstructionsEndpoint, { method: string; path: string }> = {
  agui: { method: 'POST', path: '/agui' },
  json: { method: 'GET', path: '/json' },
};

/** Whether callgrind is on this machine (the bench reports the table as not run when it is not). */
export function callgrindAvailable(): boolean {
  return spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status === 0 && spawnSync('callgrind_control', ['-h'], { stdio: 'ignore' }).status === 0;
}

/** The tiers counted per endpoint (and per build): the stream at both, the JSON request at default tier. */
const MODES: Record<InstructionsEndpoint, ReadonlyArray<'default' | 'debug'>> = { agui: ['default', 'debug'], json: ['default'] };

/** Every server of the table: per adapter and endpoint, no module, and each tier of MODES for this build (and the base build). */
export async function measureInstructions(config: InstructionsConfig, base: string | undefined, log: (line: string) => void): Promise<InstructionsResult[]> {
  const now = join(ROOT, 'dist', 'cjs');
  if (!existsSync(join(now, 'index.js'))) throw new Error(`no library build at ${now}: run npm run build first`);
  const builds: Array<[InstructionsResult['build'], string]> = base === undefined ? [['now', now]] : [['now', now], ['base', base]];
  const results: InstructionsResult[] = [];
  for (const adapter of config.adapters) {
    for (const endpoint of config.endpoints) {
      const runs: Array<Promise<InstructionsResult>> = [count(config, { build: 'now', library: now, mode: 'none', adapter }, endpoint)];
      for (const [build, library] of builds) {
        for (const mode of MODES[endpoint]) runs.push(count(config, { build, library, mode, adapter }, endpoint));
      }
      // Counts do not depend on timing: the servers of one adapter and endpoint run side by side.
      for (const result of await Promise.all(runs)) {
        log(`  ${result.adapter} ${result.endpoint} ${result.build} ${result.mode}: ${Math.round(result.perRequest)} instructions per request (blocks ${result.perBlock.map(Math.round).join(', ')})`);
        results.push(result);
      }
    }
  }
  return results;
}

interface ServerChoice {
  build: InstructionsResult['build'];
  library: string;
  mode: LibraryServerSpec['mode'];
  adapter: LibraryServerSpec['adapter'];
}

async function count(config: InstructionsConfig, choice: ServerChoice, endpoint: InstructionsEndpoint): Promise<InstructionsResult> {
  const dir = mkdtempSync(join(OUT_DIR, 'callgrind-'));
  const spec: LibraryServerSpec = { library: choice.library, mode: choice.mode, adapter: choice.adapter, portFile: join(dir, 'port') };
  const rowsFile = join(dir, 'rows.log');
  const stdout = openSync(rowsFile, 'w');
  const stderr = openSync(join(dir, 'valgrind.log'), 'w');
  const child = spawn(
    'valgrind',
    ['--tool=callgrind', `--callgrind-out-file=${join(dir, 'callgrind.out')}`, process.execPath, '--predictable', '--no-memory-reducer', join(BUILD_DIR, 'servers', 'library-server.js'), JSON.stringify(spec)],
    { stdio: ['ignore', stdout, stderr], env: benchEnv(), cwd: ROOT },
  );
  closeSync(stdout);
  closeSync(stderr);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const port = await portOf(child, spec.portFile, dir);
    const target = { port, agent, ...ENDPOINTS[endpoint] };
    await sequential(target, config.warmup);
    const perBlock: number[] = [];
    for (let block = 1; block <= config.blocks; block++) {
      control(child, '--zero');
      await sequential(target, config.requests);
      control(child, '--dump');
      perBlock.push(totalOf(join(dir, `callgrind.out.${block}`)) / config.requests);
    }
    const rows = readFileSync(rowsFile, 'utf8').split('\n').filter((line) => line.startsWith('CVDIAG ')).length;
    const perRequest = median(perBlock);
    return { build: choice.build, adapter: choice.adapter, mode: choice.mode, endpoint, perBlock, perRequest, rowsPerRequest: rows / (config.warmup + config.requests * config.blocks) };
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits for the server's port file (valgrind starts Node slowly: up to a minute on this VM). */
async function portOf(child: ChildProcess, portFile: string, dir: string): Promise<number> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server under callgrind exited (code ${child.exitCode}); see ${readFileSync(join(dir, 'valgrind.log'), 'utf8').slice(-2000)}`);
    const text = existsSync(portFile) ? readFileSync(portFile, 'utf8') : '';
    if (text !== '') return Number(text);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the server under callgrind did not start within 180 s');
}

function control(child: ChildProcess, action: '--zero' | '--dump'): void {
  const result = spawnSync('callgrind_control', [action, String(child.pid)], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`callgrind_control ${action} failed: ${result.stderr || result.stdout}`);
}

/** The `summary:` (or `totals:`) line of a callgrind dump: instructions counted since the last zeroing. */
function totalOf(file: string): number {
  const match = /^(?:summary|totals):\s*(\d+)/m.exec(readFileSync(file, 'utf8'));
  if (!match) throw new Error(`no instruction total in ${file} (${readdirSync(join(file, '..')).join(', ')})`);
  return Number(match[1]);
}

/** `n` requests, one at a time; rejects on a status other than 200/201. */
async function sequential(target: { port: number; agent: Agent; method: string; path: string }, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: target.port, path: target.path, method: target.method, agent: target.agent }, (res) => {
        if (res.statusCode !== 200 && res.statusCode !== 201) reject(new Error(`${target.method} ${target.path}: status ${res.statusCode}`));
        res.resume();
        res.once('end', () => resolve());
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end();
    });
  }
}
