/**
 * `npm run bench` / `npm run bench:smoke`: emit cost, request overhead and soak,
 * each in its own child process(es), then bench/results.md (the smoke run
 * writes bench/out/results-smoke.md instead). Exits non-zero only when the
 * harness itself fails; missed targets are reported, not fatal.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { forkForResult } from './child';
import { BenchConfig, FULL, SMOKE } from './config';
import type { EmitResult } from './emit-cost';
import type { ParseResult } from './stream-parse';
import type { ScrubResult } from './scrub-cost';
import { machineInfo } from './machine';
import { outFile, ROOT } from './paths';
import { BenchResults, EMIT_HEADING, INSTRUCTIONS_HEADING, instructionsSection, emitSection, FIXED_RATE_HEADING, fixedRateSection, PARSE_HEADING, parseSection, renderReport, SCRUB_HEADING, scrubSection } from './report';
import { measureFixedRate } from './fixed-rate';
import { measureRequestOverhead, NodeRuntime } from './request-overhead';
import { runSoak } from './soak';
import { measureCliRead } from './cli-read';
import { callgrindAvailable, measureInstructions } from './instructions';

const log = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * The request-overhead servers run on this Node (24, see package.json) and on
 * Node 20 beside it, fetched like CI fetches its runtimes (scripts/node-runtime.mjs).
 */
function overheadRuntimes(): NodeRuntime[] {
  const bin = execFileSync(process.execPath, [join(ROOT, 'scripts', 'node-runtime.mjs'), '20'], { encoding: 'utf8' }).trim();
  const node20 = join(bin, 'node');
  const version = execFileSync(node20, ['--version'], { encoding: 'utf8' }).trim();
  const own = { version: process.version, execPath: process.execPath };
  return version === own.version ? [own] : [own, { version, execPath: node20 }];
}

/** `--report-only`: re-render results.md from the last full run's JSON (e.g. after editing analysis.md). */
function reportOnly(): void {
  const results = JSON.parse(readFileSync(outFile('results.json'), 'utf8')) as BenchResults;
  const target = join(ROOT, 'bench', 'results.md');
  writeFileSync(target, renderReport(results, join(ROOT, 'bench', 'analysis.md')));
  log(`re-rendered ${target} from bench/out/results.json`);
}

/** `--only fixed-rate`: table 2a alone (about 25 min), put into bench/results.md (see spliceSection). */
async function fixedRateOnly(config: BenchConfig): Promise<void> {
  const results = await measureFixedRate(config.fixedRate, overheadRuntimes(), log);
  writeFileSync(outFile('fixed-rate.json'), JSON.stringify({ config: config.fixedRate, results }, null, 2));
  spliceSection(config, FIXED_RATE_HEADING, '\n## 3. Soak', fixedRateSection({ config: config.fixedRate, results }));
}

/** `--only emit`: table 1 alone, put into bench/results.md in place of its previous version. */
async function emitOnly(config: BenchConfig): Promise<void> {
  const emit = await forkForResult<BenchConfig['emit'], EmitResult[]>('emit-cost.js', config.emit, 180_000);
  for (const r of emit) log(`  ${r.row} ${r.writer}: median ${(r.medianNs / 1000).toFixed(2)} µs, p99 ${(r.p99Ns / 1000).toFixed(2)} µs`);
  writeFileSync(outFile('emit.json'), JSON.stringify(emit, null, 2));
  spliceSection(config, EMIT_HEADING, '\n## 1b.', emitSection(emit));
}

/** `--only scrub`: table 1c alone, put into bench/results.md in place of its previous version. */
async function scrubOnly(config: BenchConfig): Promise<void> {
  const scrub = await forkForResult<BenchConfig['scrub'], ScrubResult[]>('scrub-cost.js', config.scrub, 180_000);
  for (const r of scrub) log(`  scrub ${r.input}${r.slowest ? ` (${r.slowest})` : ''}: median ${(r.medianNs / 1000).toFixed(2)} µs, p99 ${(r.p99Ns / 1000).toFixed(2)} µs`);
  writeFileSync(outFile('scrub.json'), JSON.stringify(scrub, null, 2));
  spliceSection(config, SCRUB_HEADING, '\n## 2.', scrubSection(scrub));
}

/** `--only parse`: table 1b alone, put into bench/results.md in place of its previous version. */
async function parseOnly(config: BenchConfig): Promise<void> {
  const parse = await forkForResult<BenchConfig['parse'], ParseResult[]>('stream-parse.js', config.parse, 120_000);
  for (const r of parse) log(`  parse ${r.variant}: median ${(r.medianNs / 1000).toFixed(2)} µs, p99 ${(r.p99Ns / 1000).toFixed(2)} µs per ${r.eventBytes}-byte event`);
  spliceSection(config, PARSE_HEADING, '\n## 1c.', parseSection(parse));
}

/** `--only instructions [--base <dist/cjs dir>]`: table 2b alone (see bench/instructions.ts), put into bench/results.md. */
async function instructionsOnly(config: BenchConfig): Promise<void> {
  const result = await countInstructions(config);
  if (result) spliceSection(config, INSTRUCTIONS_HEADING, '\n## 3. Soak', instructionsSection(result));
}

async function countInstructions(config: BenchConfig): Promise<BenchResults['instructions']> {
  if (!callgrindAvailable()) {
    log('  table 2b not run: valgrind (callgrind) is not installed');
    return undefined;
  }
  const base = process.argv.includes('--base') ? process.argv[process.argv.indexOf('--base') + 1] : undefined;
  return { config: config.instructions, base, results: await measureInstructions(config.instructions, base, log) };
}

/**
 * Replaces one section of bench/results.md (from its heading to the next `## `)
 * with a new run's, or inserts it before `before`; the rest is kept as written.
 */
function spliceSection(config: BenchConfig, heading: string, before: string, fresh: string): void {
  const machine = machineInfo();
  const stamp = `_This section alone was re-run (\`--only\`) on ${new Date().toISOString()}, Node ${machine.node}, library source ${machine.source}; the header of this file describes the last full run._`;
  const section = fresh.replace(`${heading}\n`, `${heading}\n\n${stamp}\n`);
  const target = config.smoke ? outFile('results-smoke.md') : join(ROOT, 'bench', 'results.md');
  const current = config.smoke ? '' : readFileSync(target, 'utf8');
  const start = current.indexOf(heading);
  const next = start < 0 ? current.indexOf(before) : current.indexOf('\n## ', start + heading.length);
  const updated =
    start < 0
      ? next < 0
        ? `${current}\n${section}\n`
        : `${current.slice(0, next)}\n${section}\n${current.slice(next)}`
      : `${current.slice(0, start)}${section}\n${next < 0 ? '' : current.slice(next)}`;
  writeFileSync(target, updated);
  log(`wrote "${heading}" into ${target}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--report-only')) return reportOnly();
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
  if (only === 'fixed-rate') return fixedRateOnly(process.argv.includes('--smoke') ? SMOKE : FULL);
  if (only === 'emit') return emitOnly(process.argv.includes('--smoke') ? SMOKE : FULL);
  if (only === 'scrub') return scrubOnly(process.argv.includes('--smoke') ? SMOKE : FULL);
  if (only === 'parse') return parseOnly(process.argv.includes('--smoke') ? SMOKE : FULL);
  if (only === 'instructions') return instructionsOnly(process.argv.includes('--smoke') ? SMOKE : FULL);
  if (only !== undefined) throw new Error(`--only takes fixed-rate, emit, parse, scrub or instructions, not ${only}`);
  const config: BenchConfig = process.argv.includes('--smoke') ? SMOKE : FULL;
  const started = Date.now();
  const loadAtStart = loadavg();
  const machine = machineInfo();
  log(`bench${config.smoke ? ' (smoke)' : ''}: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);

  const phase = (name: string) => log(`${name} (at ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  phase('1/4 emit cost');
  const emit = await forkForResult<BenchConfig['emit'], EmitResult[]>('emit-cost.js', config.emit, 180_000);
  for (const r of emit) log(`  ${r.row} ${r.writer}: median ${(r.medianNs / 1000).toFixed(2)} µs, p99 ${(r.p99Ns / 1000).toFixed(2)} µs`);

  const parse = await forkForResult<BenchConfig['parse'], ParseResult[]>('stream-parse.js', config.parse, 120_000);
  for (const r of parse) log(`  parse ${r.variant}: median ${(r.medianNs / 1000).toFixed(2)} µs, p99 ${(r.p99Ns / 1000).toFixed(2)} µs per ${r.eventBytes}-byte event`);

  const scrub = await forkForResult<BenchConfig['scrub'], ScrubResult[]>('scrub-cost.js', config.scrub, 180_000);
  for (const r of scrub) log(`  scrub ${r.input}${r.slowest ? ` (${r.slowest})` : ''}: median ${(r.medianNs / 1000).toFixed(2)} µs, p99 ${(r.p99Ns / 1000).toFixed(2)} µs`);

  phase('2/4 request overhead');
  const overhead = await measureRequestOverhead(config.overhead, overheadRuntimes(), log);

  phase('2a/4 CPU per request at a fixed rate');
  const fixedRate = { config: config.fixedRate, results: await measureFixedRate(config.fixedRate, overheadRuntimes(), log) };

  phase('2b/4 instructions per request (callgrind)');
  const instructions = await countInstructions(config);

  phase('3/4 soak');
  const soak = await runSoak(config.soak, log);

  phase('4/4 cvdiag reading logs');
  const cliRead = await measureCliRead(config.cliRead, log);

  const results: BenchResults = {
    smoke: config.smoke,
    config: config.overhead,
    startedAt: new Date(started).toISOString(),
    elapsedSeconds: (Date.now() - started) / 1000,
    loadAverage: { start: loadAtStart, end: loadavg() },
    machine,
    emit,
    parse,
    scrub,
    overhead,
    fixedRate,
    instructions,
    soak,
    cliRead,
  };
  writeFileSync(outFile(config.smoke ? 'results-smoke.json' : 'results.json'), JSON.stringify(results, null, 2));
  const target = config.smoke ? outFile('results-smoke.md') : join(ROOT, 'bench', 'results.md');
  writeFileSync(target, renderReport(results, join(ROOT, 'bench', 'analysis.md')));
  log(`wrote ${target} in ${results.elapsedSeconds.toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
