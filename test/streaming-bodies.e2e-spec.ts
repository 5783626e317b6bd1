/**
 * Nest 12.4+ streams an async iterable or a web ReadableStream returned by a
 * handler. (Nest 11 does not: the compat run leaves this file out.)
 */
import { Controller, Get, Module } from '@nestjs/common';
import { terminalOf } from 'nestjs-cvdiag/analysis';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CvdiagModule } from 'nestjs-cvdiag';
import { abortableSleep } from './fixtures/stream-shapes';
import { CapturedRow, StdoutCapture } from './support/cvdiag-capture';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { DEBUG_ENV, useEnv } from './support/env';
import { readThenDisconnect, send } from './support/http-client';
import { ADAPTERS, RunningApp, startApp, waitFor } from './support/nest-app';

const producer = { finished: 0 };

async function* lines(count: number, failAfter?: number): AsyncGenerator<string> {
  try {
    for (let i = 0; i < count; i++) {
      if (failAfter !== undefined && i === failAfter) throw new Error('generator failed: api_key=gen-secret-9');
      await abortableSleep(2);
      yield `line ${i} ${'.'.repeat(80)}\n`;
    }
  } finally {
    producer.finished++;
  }
}

const webProducer = { cancelled: 0 };

function endlessWebStream(): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await abortableSleep(2);
      controller.enqueue(new TextEncoder().encode(`part ${sent++} ${'.'.repeat(80)}\n`));
    },
    cancel() {
      webProducer.cancelled++;
    },
  });
}

function webStream(failAfterFirst: boolean): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await abortableSleep(2);
      if (failAfterFirst && sent === 1) return controller.error(new Error('web stream failed'));
      if (sent === 3) return controller.close();
      sent++;
      controller.enqueue(new TextEncoder().encode(`part ${sent}\n`));
    },
  });
}

@Controller('bodies')
class BodiesController {
  @Get('generator')
  generator(): AsyncGenerator<string> {
    return lines(3);
  }

  @Get('generator-endless')
  generatorEndless(): AsyncGenerator<string> {
    return lines(100_000);
  }

  @Get('generator-error')
  generatorError(): AsyncGenerator<string> {
    return lines(5, 2);
  }

  @Get('generator-error-first')
  generatorErrorFirst(): AsyncGenerator<string> {
    return lines(5, 0);
  }

  @Get('web')
  web(): ReadableStream<Uint8Array> {
    return webStream(false);
  }

  @Get('web-endless')
  webEndless(): ReadableStream<Uint8Array> {
    return endlessWebStream();
  }

  @Get('web-error')
  webError(): ReadableStream<Uint8Array> {
    return webStream(true);
  }
}

@Module({ imports: [CvdiagModule.forRoot()], controllers: [BodiesController] })
class BodiesModule {}

describe.each(ADAPTERS)('streamed handler bodies (Nest 12.4+) on %s', (adapter) => {
  useEnv(DEBUG_ENV);
  let capture: StdoutCapture;
  let running: RunningApp;
  beforeEach(async () => {
    capture = new StdoutCapture().start();
    producer.finished = 0;
    webProducer.cancelled = 0;
    running = await startApp(BodiesModule, adapter);
  });
  afterEach(async () => {
    await running.close();
    capture.stop();
  });

  async function terminalRow(): Promise<{ rows: CapturedRow[]; terminal: CapturedRow }> {
    await waitFor(() => terminalOf(capture.rows()) !== undefined, 'the terminal row');
    const rows = capture.rows();
    assertValidRows(rows);
    return { rows, terminal: terminalOf(rows)! };
  }
  const errorRows = (rows: CapturedRow[]) => rows.filter((row) => row.boundary === 'backend.error.caught');

  it.each(['/bodies/generator', '/bodies/web'])('%s clean end: chunk events and complete with every byte', async (path) => {
    const response = await send(running.url, { path });
    expect(response.status).toBe(200);
    const { rows, terminal } = await terminalRow();
    expect(terminal.boundary).toBe('backend.response.complete');
    const events = rows.filter((row) => row.boundary === 'backend.sse.event');
    expect(events.reduce((sum, row) => sum + (row.metadata.payload_size_bytes as number), 0)).toBe(response.body.length);
    expect(errorRows(rows)).toEqual([]);
  });

  it('an async generator, client disconnect: sse.aborted rst and the generator is stopped', async () => {
    await readThenDisconnect(running.url, { path: '/bodies/generator-endless', bytes: 300 });
    const { terminal } = await terminalRow();
    expect(terminal.metadata.termination_kind).toBe('rst');
    await waitFor(() => producer.finished === 1, 'the generator to be returned');
  });

  it('a web ReadableStream, client disconnect: sse.aborted rst and the stream is cancelled', async () => {
    await readThenDisconnect(running.url, { path: '/bodies/web-endless', bytes: 300 });
    const { terminal } = await terminalRow();
    expect(terminal.metadata.termination_kind).toBe('rst');
    await waitFor(() => webProducer.cancelled === 1, 'the web stream to be cancelled');
  });

  it.each(['/bodies/generator-error', '/bodies/web-error'])('%s error after bytes: error.caught once, then sse.aborted chunk_error', async (path) => {
    await send(running.url, { path }).catch(() => undefined);
    const { rows, terminal } = await terminalRow();
    expect(terminal.boundary).toBe('backend.sse.aborted');
    expect(terminal.metadata.termination_kind).toBe('chunk_error');
    expect(terminal.metadata.bytes_before_abort).toBeGreaterThan(0);
    expect(errorRows(rows)).toHaveLength(1);
    expect(capture.text()).not.toContain('gen-secret-9');
  });

  it('an async generator failing before its first chunk: error.caught once, complete 500', async () => {
    expect((await send(running.url, { path: '/bodies/generator-error-first' })).status).toBe(500);
    const { rows, terminal } = await terminalRow();
    expect(terminal.boundary).toBe('backend.response.complete');
    expect(terminal.metadata.http_status).toBe(500);
    expect(errorRows(rows)).toHaveLength(1);
  });
});
