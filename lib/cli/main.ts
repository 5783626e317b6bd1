#!/usr/bin/env node
/**
 * `cvdiag`: reads CVDIAG rows from logs and says where each request died.
 * Built on `nestjs-cvdiag/analysis`; see `cvdiag --help`.
 */
import { Command, InvalidArgumentError } from 'commander';
import picocolors from 'picocolors';
import { writeFileSync } from 'node:fs';
import { CvdiagRequestCollector, summarize, type CvdiagRequestSummary } from '../analysis/requests.js';
import { renderTimeline, type CvdiagPaint } from '../analysis/timeline.js';
import { VERDICTS, type CvdiagVerdict } from '../analysis/verdict.js';
import type { CvdiagRow } from '../envelope/envelope.types.js';
import { explainBlock, idMatches, lsLine } from './format.js';
import { readSources, type BadLine } from './input.js';
import { printable } from '../analysis/printable.js';
import { ReportBuilder } from './report.js';

interface CommonOptions {
  testId?: string;
  slug?: string;
  route?: string;
  verdict?: CvdiagVerdict[];
  failed?: boolean;
  since?: string;
  until?: string;
  slowFirstByte: number;
  stall?: number;
  grace: number;
  json?: boolean;
  color?: boolean;
}

const program = new Command('cvdiag')
  .description('Read CVDIAG rows from logs (files, .gz, or stdin) and say where each request died.')
  .showHelpAfterError();

const FILES = ['[files...]', 'log files (plain or .gz); none or "-" reads stdin'] as const;

function withCommon(command: Command): Command {
  return command
    .option('--test-id <prefix>', 'only requests whose test id starts or ends with this')
    .option('--slug <slug>', 'only requests of this slug')
    .option('--route <text>', 'only requests whose route or path contains this')
    .option('--verdict <names>', `only requests with one of these verdicts, comma-separated (${VERDICTS.join(', ')})`, verdictList)
    .option('--failed', 'only requests whose verdict is not ok')
    .option('--since <time>', 'only requests that started at or after this ISO time', isoTime)
    .option('--until <time>', 'only requests that started before this ISO time', isoTime)
    .option('--slow-first-byte <ms>', 'first byte later than this is slow-first-byte', positiveNumber, 10_000)
    .option('--stall <ms>', 'silence while an LLM call is open that is llm-stalled (default: its heartbeat interval)', positiveNumber)
    .option('--grace <ms>', 'log time to wait for late rows of a request after its terminal row', positiveNumber, 60_000)
    .option('--no-color', 'no colours, even on a terminal');
}

withCommon(program.command('ls').argument(...FILES))
  .description('one line per request, in the order requests end: start, test id, method and route, end, times, events, verdict')
  .option('--json', 'one JSON object per request (JSON lines)')
  .action(async (files: string[], options: CommonOptions) => {
    const paint = paintFor(options);
    const bad = await eachRequest(files, options, (summary) => {
      process.stdout.write(options.json ? `${JSON.stringify(jsonOf(summary))}\n` : `${lsLine(summary, paint)}\n`);
    });
    reportBad(bad);
  });

withCommon(program.command('explain').argument(...FILES))
  .description('the verdict of each request with its reason and the rows that prove it; exit code 1 when any failed')
  .option('--json', 'one JSON object per request (JSON lines)')
  .action(async (files: string[], options: CommonOptions) => {
    const paint = paintFor(options);
    let failed = 0;
    const bad = await eachRequest(files, options, (summary) => {
      if (summary.verdict.failed) failed++;
      process.stdout.write(options.json ? `${JSON.stringify({ ...jsonOf(summary), evidence: summary.verdict.evidence })}\n` : `${explainBlock(summary, paint)}\n\n`);
    });
    reportBad(bad);
    if (failed > 0) process.exitCode = 1;
  });

withCommon(program.command('show').argument('<id>', 'a test id or trace id, or its start or end (as ls prints it)').argument(...FILES))
  .description('the timeline of the requests of a test (or of one request): rows with ms since ingress, a waterfall bar, folded events')
  .action(async (id: string, files: string[], options: CommonOptions) => {
    const paint = paintFor(options);
    let shown = 0;
    const bad = await eachRequest(files, options, (summary, rows) => {
      if (!idMatches(summary.testId, id) && !idMatches(summary.traceId, id)) return;
      if (shown++ > 0) process.stdout.write('\n');
      process.stdout.write(`${renderTimeline(rows, { paint, barWidth: 24 })}\n${paint.bold('verdict')} ${summary.verdict.verdict}: ${printable(summary.verdict.reason)}\n`);
    });
    reportBad(bad);
    if (shown === 0) {
      process.stderr.write(`cvdiag show: no request whose test id or trace id starts or ends with "${printable(id)}"\n`);
      process.exitCode = 1;
    }
  });

withCommon(program.command('report').argument(...FILES))
  .description('one self-contained HTML page: counts per verdict, percentiles per route, a filterable list, a waterfall per request')
  .requiredOption('-o, --output <file>', 'where to write the page')
  .option('--sample <n>', 'successful requests kept in full (every failed one is kept, up to --max-failed)', positiveNumber, 200)
  .option('--max-failed <n>', 'failed requests kept in full', positiveNumber, 2_000)
  .action(async (files: string[], options: CommonOptions & { output: string; sample: number; maxFailed: number }) => {
    const report = new ReportBuilder({ sample: options.sample, maxFailed: options.maxFailed, sources: files.length > 0 ? files : ['stdin'] });
    const bad = await eachRequest(files, options, (summary, rows) => report.add(summary, rows));
    writeFileSync(options.output, report.render(bad.first, bad.count));
    reportBad(bad);
    process.stderr.write(`cvdiag report: ${report.count} requests → ${options.output}\n`);
  });

withCommon(program.command('tail'))
  .description('read a live log on stdin (node dist/main.js | npx cvdiag tail): other lines pass through, one summary line per request as it ends')
  .action(async (options: CommonOptions) => {
    const paint = paintFor(options);
    const keep = filterFor(options);
    const bad = new BadLines();
    const collector = new CvdiagRequestCollector((rows) => {
      const summary = judged(rows, options, bad);
      if (summary && keep(summary)) process.stdout.write(`${paint.bold('CVDIAG')} ${lsLine(summary, paint)}\n`);
    }, collectorOptions(options));
    // Idle input: requests past their window are still decided, the log's clock moved on by the time spent waiting.
    let lastRowAt = Date.now();
    const timer = setInterval(() => collector.sweep(collector.logClockMs + (Date.now() - lastRowAt)), 1_000);
    timer.unref();
    await readSources(['-'], {
      row: (row) => {
        lastRowAt = Date.now();
        collector.add(row);
      },
      other: (line) => process.stdout.write(`${line}\n`),
      bad: (line, text) => {
        bad.add(line);
        if (text) process.stdout.write(`${text}\n`); // the line is the app's output too
      },
    });
    clearInterval(timer);
    collector.end();
    reportBad(bad);
  });

/**
 * Reads the sources and calls `each` for every request that passes the
 * filters, once it is decided (see CvdiagRequestCollector). Returns the lines
 * that could not be read.
 */
async function eachRequest(files: string[], options: CommonOptions, each: (summary: CvdiagRequestSummary, rows: CvdiagRow[]) => void): Promise<BadLines> {
  const keep = filterFor(options);
  const bad = new BadLines();
  const collector = new CvdiagRequestCollector((rows) => {
    const summary = judged(rows, options, bad);
    if (summary && keep(summary)) each(summary, rows);
  }, collectorOptions(options));
  await readSources(files, { row: (row) => collector.add(row), bad: (line) => bad.add(line) }, progressBar());
  collector.end();
  return bad;
}

function filterFor(options: CommonOptions): (summary: CvdiagRequestSummary) => boolean {
  const since = options.since ? Date.parse(options.since) : -Infinity;
  const until = options.until ? Date.parse(options.until) : Infinity;
  return (summary) => {
    if (options.testId && !idMatches(summary.testId, options.testId)) return false;
    if (options.slug && summary.slug !== options.slug) return false;
    if (options.route && !(summary.route ?? '').includes(options.route)) return false;
    if (options.verdict && !options.verdict.includes(summary.verdict.verdict)) return false;
    if (options.failed && !summary.verdict.failed) return false;
    const started = Date.parse(summary.startedAt);
    return started >= since && started < until;
  };
}

function verdictOptions(options: CommonOptions) {
  return { slowFirstByteMs: options.slowFirstByte, stallMs: options.stall };
}

function collectorOptions(options: CommonOptions) {
  return { ...verdictOptions(options), graceMs: options.grace };
}

/** A request as `--json` writes it: the summary, its verdict's name, reason, other findings and unseen stages. */
function jsonOf(summary: CvdiagRequestSummary): Record<string, unknown> {
  const { verdict, ...rest } = summary;
  return {
    ...rest,
    verdict: verdict.verdict,
    reason: verdict.reason,
    findings: verdict.findings.map((finding) => ({ verdict: finding.verdict, reason: finding.reason })),
    unseen: verdict.unseen,
  };
}

/** Colours: off with --no-color or NO_COLOR; FORCE_COLOR (not 0) forces them; else on a terminal only. */
function paintFor(options: CommonOptions): CvdiagPaint {
  if (options.color === false || 'NO_COLOR' in process.env) return picocolors.createColors(false);
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return picocolors.createColors(force !== '0' && force !== 'false');
  return picocolors.createColors(process.stdout.isTTY === true);
}

/** A progress bar on stderr for inputs above 20 MB, when stderr is a terminal. */
function progressBar(): ((read: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let drawnAt = 0;
  return (read, total) => {
    if (total < 20e6 || Date.now() - drawnAt < 100) return;
    drawnAt = Date.now();
    const done = Math.min(1, read / total);
    const width = 30;
    process.stderr.write(`\r[${'█'.repeat(Math.round(done * width)).padEnd(width, '·')}] ${(done * 100).toFixed(0)}% of ${(total / 1e6).toFixed(0)} MB${done >= 1 ? '\n' : ''}`);
  };
}

/** A request's summary, or undefined (counted) when its rows are malformed beyond judging. */
function judged(rows: CvdiagRow[], options: CommonOptions, bad: BadLines): CvdiagRequestSummary | undefined {
  try {
    return summarize(rows, verdictOptions(options));
  } catch (error) {
    bad.add({ source: `trace ${rows[0]?.trace_id ?? '?'}`, line: 0, reason: `rows that cannot be judged (${error instanceof Error ? error.message : String(error)})` });
    return undefined;
  }
}

/** Lines that held `CVDIAG {` but no readable row, and sources that could not be read: counted, the first ones kept. */
class BadLines {
  count = 0;
  readonly first: BadLine[] = [];
  unreadableSource = false;

  add(line: BadLine): void {
    this.count++;
    if (this.first.length < 5) this.first.push(line);
    if (line.line === 0 && line.reason.startsWith('cannot read')) this.unreadableSource = true;
  }
}

/** Reports the unreadable lines on stderr; a source that could not be read makes the exit code 2. */
function reportBad(bad: BadLines): void {
  if (bad.count === 0) return;
  process.stderr.write(`cvdiag: ${bad.count} line${bad.count > 1 ? 's' : ''} with an unreadable row\n`);
  for (const line of bad.first) process.stderr.write(`  ${line.source}${line.line > 0 ? `:${line.line}` : ''}: ${printable(line.reason)}\n`);
  if (bad.count > bad.first.length) process.stderr.write(`  … and ${bad.count - bad.first.length} more\n`);
  if (bad.unreadableSource) process.exitCode = 2;
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new InvalidArgumentError('expected a number of 0 or more');
  return number;
}

function verdictList(value: string): CvdiagVerdict[] {
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(VERDICTS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) throw new InvalidArgumentError(`unknown verdict ${unknown.join(', ') || '(none)'}; one of ${VERDICTS.join(', ')}`);
  return names as CvdiagVerdict[];
}

function isoTime(value: string): string {
  if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('expected a time such as 2026-12-02T05:20:00Z');
  return value;
}

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`cvdiag: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
