import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { VERDICTS } from 'nestjs-cvdiag/analysis';
import { goldenLog, GoldenLog, SLOW_FIRST_BYTE_MS } from './fixtures/golden-logs';
import { ADAPTERS } from './support/nest-app';
import { repoRoot } from './support/repo-root';

/** The built command, as `npx cvdiag` runs it from the package. */
const CLI = join(repoRoot(), 'dist/cjs/cli/main.js');

function cvdiag(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Listed {
  testId: string;
  traceId: string;
  verdict: string;
  reason: string;
  unseen: string[];
  method: string | null;
  route: string | null;
  end: string;
}

const jsonLines = (text: string) => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Listed);

describe.each(ADAPTERS)('cvdiag on logs of real runs on %s', (adapter) => {
  let golden: GoldenLog;
  let dir: string;
  let plain: string;
  beforeAll(async () => {
    golden = await goldenLog(adapter);
    dir = mkdtempSync(join(tmpdir(), 'cvdiag-cli-'));
    plain = join(dir, 'golden.log');
    writeFileSync(plain, golden.text);
  }, 60_000);

  /** `ls --json` of `file`: the verdict of each test id. */
  const verdictsOf = (file: string, input?: string) => {
    const result = cvdiag(['ls', '--json', '--slow-first-byte', String(SLOW_FIRST_BYTE_MS), file], input);
    expect(result.status).toBe(0);
    return { listed: jsonLines(result.stdout), stderr: result.stderr };
  };
  const expectedVerdicts = () => Object.fromEntries([...golden.expected].sort());
  const verdictMap = (listed: Listed[]) => Object.fromEntries(listed.map((request) => [request.testId, request.verdict]).sort());

  it('gives each request the verdict of what happened to it: every verdict, from real runs', () => {
    const { listed, stderr } = verdictsOf(plain);
    expect(verdictMap(listed)).toEqual(expectedVerdicts());
    expect(new Set(listed.map((request) => request.verdict))).toEqual(new Set(VERDICTS));
    expect(stderr).toBe('');
  });

  it('says which stages rows written at default tier cannot show, and still judges what they show', () => {
    const { listed } = verdictsOf(plain);
    for (const request of listed) {
      if (golden.defaultTier.has(request.testId)) expect(request.unseen).toEqual(expect.arrayContaining([expect.stringContaining('verbose tier')]));
      else if (request.verdict !== 'no-terminal') expect(request.unseen).toEqual([]);
    }
  });

  it('reads the same log behind log-shipper prefixes, wrapped by Docker, gzipped, and from stdin', () => {
    const lines = golden.text.trimEnd().split('\n');
    const prefixed = join(dir, 'prefixed.log');
    writeFileSync(prefixed, lines.map((line, i) => `${i % 2 ? '[pod/api-7f9c/api] ' : '2026-12-02T06:00:00.000000000Z stdout F '}${line}\n`).join(''));
    const docker = join(dir, 'docker.log');
    writeFileSync(docker, lines.map((line) => `${JSON.stringify({ log: `${line}\n`, stream: 'stdout', time: '2026-12-02T06:00:00.000Z' })}\n`).join(''));
    const gzipped = join(dir, 'golden.log.gz');
    writeFileSync(gzipped, gzipSync(golden.text));
    for (const file of [prefixed, docker, gzipped]) expect(verdictMap(verdictsOf(file).listed)).toEqual(expectedVerdicts());
    expect(verdictMap(verdictsOf('-', golden.text).listed)).toEqual(expectedVerdicts());
  });

  it('counts a cut or corrupted row with its line number and reads the rest, mixed with other output', () => {
    const lines = golden.text.trimEnd().split('\n');
    const corrupted = join(dir, 'corrupted.log');
    const cut = lines[3]!.slice(0, 120);
    writeFileSync(corrupted, ['Nest application started', ...lines, cut, 'CVDIAG {"boundary": oops', 'another app line'].join('\n'));
    const { listed, stderr } = verdictsOf(corrupted);
    expect(listed).toHaveLength(golden.expected.size);
    expect(stderr).toContain('2 lines with an unreadable row');
    expect(stderr).toContain(`corrupted.log:${lines.length + 2}: not JSON`);
    expect(stderr).toContain(`corrupted.log:${lines.length + 3}: not JSON`);
  });

  it('reports a file it cannot read (a cut .gz, a folder) with exit code 2, and still reads the others', () => {
    const cut = join(dir, 'cut.log.gz');
    writeFileSync(cut, gzipSync(golden.text).subarray(0, 200));
    const result = cvdiag(['ls', '--json', plain, cut, dir]);
    expect(result.status).toBe(2);
    expect(jsonLines(result.stdout)).toHaveLength(golden.expected.size);
    expect(result.stderr).toContain(`${cut}: cannot read`);
    expect(result.stderr).toContain(`${dir}: cannot read`);
  });

  it('never sends control characters from a log to the terminal', () => {
    const escaped = join(dir, 'escape.log');
    const row = golden.text.trimEnd().split('\n').find((line) => line.includes('"backend.response.complete"'))!;
    // A route as an unauthenticated request could make it: an escape sequence and a bell.
    writeFileSync(escaped, `${row.replace(/"route":"[^"]*"/, '"route":"/\\u001b[31mRED\\u001b]0;owned\\u0007"')}\n`);
    const listed = cvdiag(['ls', escaped]);
    expect(listed.stdout).toContain('/\\x1b[31mRED\\x1b]0;owned\\x07');
    expect(listed.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('ls prints one line per request with route, end, times and verdict; filters by verdict, failure, route and test id', () => {
    const all = cvdiag(['ls', '--slow-first-byte', String(SLOW_FIRST_BYTE_MS), plain]);
    expect(all.stdout.trim().split('\n')).toHaveLength(golden.expected.size);
    expect(all.stdout).toMatch(/POST \/verdict\/in-band-error\s+complete 200 .* in-band-error/);
    expect(all.stdout).toMatch(/GET \/verdict\/endless\s+aborted rst \d+ B .* client-left-mid-stream/);
    const failed = jsonLines(cvdiag(['ls', '--json', '--failed', plain]).stdout);
    expect(failed.every((request) => request.verdict !== 'ok')).toBe(true);
    expect(failed.length).toBeGreaterThan(5);
    expect(jsonLines(cvdiag(['ls', '--json', '--verdict', 'llm-stalled', plain]).stdout).map((request) => request.route)).toEqual(['/verdict/llm-stalled']);
    expect(jsonLines(cvdiag(['ls', '--json', '--route', 'protocol-incomplete', plain]).stdout)).toHaveLength(1);
    const [stalled] = [...golden.expected].find(([, verdict]) => verdict === 'llm-stalled')!;
    expect(jsonLines(cvdiag(['ls', '--json', '--test-id', stalled.slice(-12), plain]).stdout).map((request) => request.testId)).toEqual([stalled]);
    const bad = cvdiag(['ls', '--verdict', 'nope', plain]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('nope');
  });

  it('explain gives the reason and the rows that prove it, and exits 1 when a request failed', () => {
    const failing = cvdiag(['explain', '--slow-first-byte', String(SLOW_FIRST_BYTE_MS), plain]);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toMatch(/llm-stalled\n {2}The LLM call \(openai\/gpt-4o-mini\) was still waiting \(\d+ heartbeats?, last at \d+ ms\)/);
    expect(failing.stdout).toMatch(/llm-error\n {2}The LLM call \(openai\/gpt-4o-mini\) failed with UpstreamLlmError/);
    expect(failing.stdout).toMatch(/no-terminal\n {2}The rows stop at sse\.event without a terminal row/);
    expect(cvdiag(['explain', '--verdict', 'ok', plain]).status).toBe(0);
    const json = jsonLines(cvdiag(['explain', '--json', '--verdict', 'in-band-error', plain]).stdout) as Array<Listed & { evidence: Array<{ boundary: string }> }>;
    expect(json.length).toBeGreaterThanOrEqual(1);
    for (const request of json) expect(request.evidence.map((row) => row.boundary)).toEqual(['backend.error.caught']);
  });

  it('show draws the timeline of a test: ms since ingress, folded heartbeats, a waterfall bar on the terminal', () => {
    const [stalled] = [...golden.expected].find(([, verdict]) => verdict === 'llm-stalled')!;
    const shown = cvdiag(['show', stalled.slice(0, 13), plain]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(`request ${stalled}`);
    expect(shown.stdout).toMatch(/llm\.call\.heartbeat ×\d+ +\d+ heartbeats, last at \d+ ms/);
    expect(shown.stdout).toMatch(/sse\.aborted err .* \[[·█]*✕\]/);
    expect(shown.stdout).toContain('verdict llm-stalled');
    const missing = cvdiag(['show', 'ffffffff', plain]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no request');
  });

  it('tail passes other lines through and prints one line per request as it ends', () => {
    const input = `starting\n${golden.text}bye\n`;
    const tailed = cvdiag(['tail'], input);
    expect(tailed.status).toBe(0);
    const lines = tailed.stdout.trim().split('\n');
    expect(lines[0]).toBe('starting');
    expect(lines).toContain('bye');
    expect(lines.filter((line) => line.startsWith('CVDIAG '))).toHaveLength(golden.expected.size);
    expect(lines.some((line) => line.startsWith('CVDIAG {'))).toBe(false);
  });

  it('report writes one self-contained HTML page holding every failed request', () => {
    const page = join(dir, 'report.html');
    const result = cvdiag(['report', '--slow-first-byte', String(SLOW_FIRST_BYTE_MS), plain, '-o', page]);
    expect(result.status).toBe(0);
    const html = readFileSync(page, 'utf8');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const data = JSON.parse(/<script type="application\/json" id="cvdiag-data">(.*?)<\/script>/s.exec(html)![1]!) as { total: number; requests: Array<{ testId: string; verdict: string }> };
    expect(data.total).toBe(golden.expected.size);
    expect(Object.fromEntries(data.requests.map((request) => [request.testId, request.verdict]).sort())).toEqual(expectedVerdicts());
  });
});
