import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { builtCommonJsEntry, repoRoot } from './support/repo-root';
import { CvdiagEnvelope, CvdiagSink, StdoutSink } from 'nestjs-cvdiag';
import { agentAppModule } from './fixtures/agent-app';
import { CaptureLogger } from './support/capture-logger';

import { useApps, useCapture } from './support/harness';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { useEnv } from './support/env';
import { send } from './support/http-client';
import { ADAPTERS, waitFor } from './support/nest-app';

/** Refuses its first `refusals` rows (as a backed-up sink would), then takes everything. */
class RecoveringSink implements CvdiagSink {
  readonly received: CvdiagEnvelope[] = [];
  flushed = false;
  constructor(private refusals: number) {}
  write(_line: string, envelope: Readonly<CvdiagEnvelope>): boolean {
    if (this.refusals > 0) {
      this.refusals--;
      return false;
    }
    this.received.push(structuredClone(envelope) as CvdiagEnvelope);
    return true;
  }
  async flush(): Promise<void> {
    this.flushed = true;
  }
}

class ThrowingSink implements CvdiagSink {
  write(): boolean {
    throw new Error('collector unreachable: token=should-not-be-logged');
  }
}

describe('StdoutSink', () => {
  const capture = useCapture();

  it('refuses a coalesce that is not a boolean or a bounded delay, naming it', () => {
    expect(() => new StdoutSink({ coalesce: 'yes' as unknown as boolean })).toThrow('"coalesce" must be a boolean or { maxDelayMs }');
    for (const maxDelayMs of [0, 1.5, 1001, Number.NaN]) {
      expect(() => new StdoutSink({ coalesce: { maxDelayMs } })).toThrow('an integer from 1 to 1000');
    }
  });

  it('a batching sink adds no signal listener (it would change what the signal does)', async () => {
    capture.allowSeveralRowsPerWrite();
    const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    const before = signals.map((signal) => process.listenerCount(signal));
    const sink = new StdoutSink({ coalesce: { maxDelayMs: 5 } });
    expect(sink.write('CVDIAG {"n":1}\n')).toBe(true);
    expect(signals.map((signal) => process.listenerCount(signal))).toEqual(before);
    await waitFor(() => capture.writeStats().count === 1, 'the delayed batch');
  });

  it('adds one stdout error listener for the whole process, however many sinks write (no MaxListenersExceededWarning in suites that start many apps)', () => {
    const before = process.stdout.listenerCount('error');
    for (let i = 0; i < 25; i++) expect(new StdoutSink().write(`CVDIAG {"n":${i}}\n`)).toBe(true);
    expect(process.stdout.listenerCount('error') - before).toBeLessThanOrEqual(1);
    expect(capture.text().split('\n').filter(Boolean)).toHaveLength(25);
  });

  it('held by time, a batch goes out when the delay passes or when it reaches 4 KiB, whichever comes first', async () => {
    capture.allowSeveralRowsPerWrite();
    const sink = new StdoutSink({ coalesce: { maxDelayMs: 30 } });
    const lines = Array.from({ length: 6 }, (_, i) => `CVDIAG {"n":${i},"pad":"${'p'.repeat(1000)}"}\n`);
    for (const line of lines.slice(0, 4)) expect(sink.write(line)).toBe(true);
    expect(capture.writeStats()).toEqual({ count: 1, maxBytes: 4096 }); // four 1 KiB rows filled a write
    for (const line of lines.slice(4)) expect(sink.write(line)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(capture.writeStats().count).toBe(1); // the turn ended, the delay has not passed
    await waitFor(() => capture.writeStats().count === 2, 'the delayed batch');
    expect(capture.text()).toBe(lines.join(''));
  });

  it('coalescing, writes a turn of rows in writes of at most 4 KiB (PIPE_BUF), whole rows, in order', async () => {
    capture.allowSeveralRowsPerWrite();
    const sink = new StdoutSink({ coalesce: true });
    const lines = Array.from({ length: 10 }, (_, i) => `CVDIAG {"n":${i},"pad":"${'p'.repeat(1000)}"}\n`);
    expect(Buffer.byteLength(lines[0])).toBe(1024);
    for (const line of lines) expect(sink.write(line)).toBe(true);
    expect(capture.writeStats()).toEqual({ count: 2, maxBytes: 4096 }); // rows 0–3 and 4–7 each filled a write
    await new Promise((resolve) => setImmediate(resolve)); // the turn ends: rows 8–9
    expect(capture.writeStats()).toEqual({ count: 3, maxBytes: 4096 });
    expect(capture.text()).toBe(lines.join(''));
  });
});

type CoalescingScenario = 'exit' | 'throw' | 'idle' | 'timer' | 'burst' | 'signal' | 'handled-signal';

/** Starts test/fixtures/coalescing-stdout.cjs; its rows' boundaries, as they arrive, and its end. */
function runCoalescingChild(how: CoalescingScenario, coalesce: true | { maxDelayMs: number } = true) {
  const root = repoRoot();
  const child = spawn(process.execPath, [join(root, 'test/fixtures/coalescing-stdout.cjs'), builtCommonJsEntry(), how, JSON.stringify(coalesce)], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', CVDIAG_BACKEND_EMITTER: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const ended = exit.then(([code]) => code);
  const endedBy = exit.then(([code, signal]) => ({ code, signal }));
  const boundaries = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('CVDIAG '))
      .map((line) => (JSON.parse(line.slice('CVDIAG '.length)) as CvdiagEnvelope).boundary);
  return { child, ended, endedBy, boundaries, stderr: () => stderr };
}

/** Rows held up to a second: longer than any of these scenarios waits before it ends. */
const HELD_ONE_SECOND = { maxDelayMs: 1000 };

describe('a coalescing StdoutSink', () => {
  it.each([
    ['process.exit()', 'exit', 0, true],
    ['an uncaught exception', 'throw', 1, true],
    ['nothing left to do (the held rows do not keep it alive)', 'idle', 0, true],
    ['process.exit(), rows held by time', 'exit', 0, HELD_ONE_SECOND],
    ['an uncaught exception, rows held by time', 'throw', 1, HELD_ONE_SECOND],
    ['nothing left to do, rows held by time (the timer does not keep it alive)', 'idle', 0, HELD_ONE_SECOND],
  ] as const)('still writes the rows of the last turn when the process ends on %s', async (_name, how, expectedCode, coalesce) => {
    const run = runCoalescingChild(how, coalesce);
    expect(await run.ended).toBe(expectedCode);
    if (how === 'throw') expect(run.stderr()).toContain('crashed in the same turn');
    expect(run.boundaries()).toEqual(['backend.agent.enter', 'backend.agent.exit']);
  });

  it('writes rows from a timer when that turn ends, not when the loop next wakes up (20 s later)', async () => {
    const run = runCoalescingChild('timer');
    try {
      await waitFor(() => run.boundaries().length === 2, 'the rows written from the timer');
      expect(run.boundaries()).toEqual(['backend.agent.enter', 'backend.agent.exit']);
    } finally {
      run.child.kill();
      await run.ended;
    }
  });

  it.each([
    ['SIGTERM', true],
    ['SIGINT', true],
    ['SIGHUP', HELD_ONE_SECOND],
    ['SIGTERM', HELD_ONE_SECOND],
  ] as const)('writes held rows out when %s shuts the app down (enableShutdownHooks), and the process still ends by that signal (coalesce: %j)', async (signal, coalesce) => {
    const run = runCoalescingChild('signal', coalesce);
    await waitFor(() => run.stderr().includes('ready'), 'the child to write its rows');
    // Held by time, the rows are not out yet; held for the turn, they are (that turn has ended).
    if (coalesce !== true) expect(run.boundaries()).toEqual([]);
    run.child.kill(signal);
    expect(await run.endedBy).toEqual({ code: null, signal });
    expect(run.boundaries()).toEqual(['backend.agent.enter', 'backend.agent.exit']);
  });

  it('adds no signal listener: a SIGTERM the app handles itself keeps its exit code, and the rows written during its shutdown come out', async () => {
    const run = runCoalescingChild('handled-signal', HELD_ONE_SECOND);
    await waitFor(() => run.stderr().includes('ready'), 'the child to write its rows');
    run.child.kill('SIGTERM');
    expect(await run.endedBy).toEqual({ code: 7, signal: null });
    expect(run.stderr()).toContain('handled');
    expect(run.boundaries()).toEqual(['backend.agent.enter', 'backend.agent.exit', 'backend.agent.enter', 'backend.agent.exit']);
  });

  it('held by time, writes the rows of many turns together once the delay passes, while the process runs', async () => {
    const run = runCoalescingChild('timer', { maxDelayMs: 50 });
    try {
      await waitFor(() => run.boundaries().length === 2, 'the rows held by time');
      expect(run.boundaries()).toEqual(['backend.agent.enter', 'backend.agent.exit']);
    } finally {
      run.child.kill();
      await run.ended;
    }
  });

  it('delivers every row of a large burst to a slow reader before the process ends by itself', async () => {
    const run = runCoalescingChild('burst');
    run.child.stdout.pause(); // the reader falls behind: the pipe fills and writes queue
    await new Promise((resolve) => setTimeout(resolve, 300));
    run.child.stdout.resume();
    expect(await run.ended).toBe(0);
    const boundaries = run.boundaries();
    expect(boundaries).toHaveLength(600);
    expect(boundaries.filter((boundary) => boundary === 'backend.agent.exit')).toHaveLength(300);
  });
});

describe.each(ADAPTERS)('sinks on %s', (adapter) => {
  useEnv({ SHOWCASE_ENV: 'test' });
  const capture = useCapture();
  const apps = useApps();

  it('counts rows a sink refused and reports them with cvdiag.queue_dropped once it recovers; other sinks get every row', async () => {
    const recovering = new RecoveringSink(3);
    const running = await apps.start(agentAppModule({ enabled: true, tier: 'verbose', sinks: [new StdoutSink(), recovering] }), adapter);
    for (let i = 0; i < 3; i++) await send(running.url, { path: '/json' });
    await waitFor(() => capture.rows().filter((row) => row.boundary === 'backend.response.complete').length === 3, 'terminals');

    const stdoutRows = capture.rows();
    assertValidRows(stdoutRows, { tier: 'verbose' });
    expect(stdoutRows).toHaveLength(6);
    const boundaries = recovering.received.map((row) => row.boundary);
    expect(boundaries[0]).toBe('cvdiag.queue_dropped');
    expect(recovering.received[0].metadata).toEqual({ dropped_count: 3 });
    expect(boundaries.filter((boundary) => boundary !== 'cvdiag.queue_dropped')).toHaveLength(3);

    await running.app.close();
    expect(recovering.flushed).toBe(true);
  });

  it('a sink that throws never reaches the app, and is reported once, without the error message', async () => {
    const logger = new CaptureLogger();
    const running = await apps.start(agentAppModule({ enabled: true, sinks: [new ThrowingSink(), new StdoutSink()] }), adapter, undefined, logger);
    for (let i = 0; i < 5; i++) expect((await send(running.url, { path: '/json' })).status).toBe(200);
    await waitFor(() => capture.rows().length === 5, 'rows on stdout');
    assertValidRows(capture.rows(), { tier: 'default' });
    const sinkWarnings = logger.warnings.filter((message) => message.includes('sink threw'));
    expect(sinkWarnings).toHaveLength(1);
    expect(logger.warnings.join('\n')).not.toContain('should-not-be-logged');
  });

  it('StdoutSink({ coalesce: true }) writes the rows of a turn together: whole rows, in order, each once, at most 4 KiB a write', async () => {
    capture.allowSeveralRowsPerWrite();
    const running = await apps.start(agentAppModule({ enabled: true, tier: 'debug', sinks: [new StdoutSink({ coalesce: true })] }), adapter);
    const response = await send(running.url, { path: '/chat/sse?q=coalesce' });
    expect(response.status).toBe(200);
    await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.response.complete'), 'terminal');
    const rows = capture.rows();
    assertValidRows(rows, { tier: 'debug' });
    const events = rows.filter((row) => row.boundary === 'backend.sse.event').map((row) => row.metadata.sequence_num);
    expect(events.length).toBeGreaterThan(1);
    expect(events).toEqual([...events.keys()]);
    expect(new Set(rows.map((row) => row.span_id)).size).toBe(rows.length);
    const writes = capture.writeStats();
    expect(writes.count).toBeLessThan(rows.length);
    expect(writes.maxBytes).toBeLessThanOrEqual(4096);
  });

  it('a sink whose flush never settles holds shutdown for the 2 s bound, then Nest shuts down as usual', async () => {
    const root = repoRoot();
    const child = spawn(process.execPath, [join(root, 'test/fixtures/stuck-flush-shutdown.cjs'), builtCommonJsEntry()], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stderr.includes('ready'), 'the app to start');
    child.kill('SIGTERM');
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    // The other module's hook ran, and Nest re-raised the signal: the process ended by SIGTERM, not by a quiet exit 0.
    expect(stderr).toContain('other module shut down on SIGTERM');
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('a stdout whose reader went away (EPIPE) does not end the process', async () => {
    const root = repoRoot();
    const child = spawn(process.execPath, [join(root, 'test/fixtures/stdout-reader-gone.cjs'), builtCommonJsEntry()], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const firstRow = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    expect(firstRow.startsWith('CVDIAG {')).toBe(true);
    child.stdout.destroy(); // the reader goes away
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(stderr).toContain('still alive');
    expect(code).toBe(0);
  });
});
