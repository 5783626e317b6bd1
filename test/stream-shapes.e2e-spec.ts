/**
 * Every way a Nest app can answer, with a clean end, a client disconnect and an
 * error after bytes: exactly one terminal, the right termination kind and byte
 * count, error.caught once, and abandoned work ended.
 */
import { Module } from '@nestjs/common';
import { terminalOf } from 'nestjs-cvdiag/analysis';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CvdiagModule } from 'nestjs-cvdiag';
import { ObservableLlm, StreamShapesController, WaitingAgent } from './fixtures/stream-shapes';
import { boundariesOf, CapturedRow, StdoutCapture } from './support/cvdiag-capture';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { DEBUG_ENV, useEnv } from './support/env';
import { disconnectWhen, readThenDisconnect, send } from './support/http-client';
import { expectAbandonedCall } from './support/abandoned-call';
import { ADAPTERS, RunningApp, startApp, waitFor } from './support/nest-app';

@Module({
  imports: [CvdiagModule.forRoot()],
  controllers: [StreamShapesController],
  providers: [WaitingAgent, ObservableLlm],
})
class StreamShapesModule {}

describe.each(ADAPTERS)('stream shapes on %s', (adapter) => {
  useEnv(DEBUG_ENV);
  let capture: StdoutCapture;
  let running: RunningApp;
  let llm: ObservableLlm;
  beforeEach(async () => {
    capture = new StdoutCapture().start();
    running = await startApp(StreamShapesModule, adapter);
    llm = running.app.get(ObservableLlm);
  });
  afterEach(async () => {
    await running.close();
    capture.stop();
  });

  /** The rows of the one request made so far, once its terminal was written; checked against the contract. */
  async function requestRows(extraWaitFor?: (rows: CapturedRow[]) => boolean): Promise<{ rows: CapturedRow[]; terminal: CapturedRow }> {
    await waitFor(() => terminalOf(capture.rows()) !== undefined && (extraWaitFor?.(capture.rows()) ?? true), 'the terminal row');
    const rows = capture.rows();
    assertValidRows(rows);
    expect(new Set(rows.map((row) => row.trace_id)).size).toBe(1);
    return { rows, terminal: terminalOf(rows)! };
  }

  describe('Observable on a non-SSE route', () => {
    it('clean end: one JSON body, complete', async () => {
      const response = await send(running.url, { path: '/shapes/observable' });
      expect(JSON.parse(response.body.toString())).toEqual({ n: 2 });
      const { rows, terminal } = await requestRows();
      expect(terminal.boundary).toBe('backend.response.complete');
      expect(terminal.metadata.content_length).toBe(response.body.length);
      expect(boundariesOf(rows)).not.toContain('backend.sse.first_byte');
    });

    it('client disconnect before the value: sse.aborted rst with 0 bytes', async () => {
      await disconnectWhen(running.url, { path: '/shapes/observable-slow' }, llm.nextCall());
      const { terminal } = await requestRows();
      expect(terminal.boundary).toBe('backend.sse.aborted');
      expect(terminal.metadata).toEqual({ termination_kind: 'rst', bytes_before_abort: 0, method: 'GET', route: '/shapes/observable-slow', last_event_type: null });
    });

    it('error: error.caught, then complete 500', async () => {
      expect((await send(running.url, { path: '/shapes/observable-error' })).status).toBe(500);
      const { rows, terminal } = await requestRows();
      expect(boundariesOf(rows).filter((b) => b === 'backend.error.caught')).toHaveLength(1);
      expect(terminal.metadata.http_status).toBe(500);
    });
  });

  describe('StreamableFile', () => {
    it('clean end: chunk events, complete with every byte', async () => {
      const response = await send(running.url, { path: '/shapes/file' });
      expect(response.body.toString()).toBe('alpha\nbeta\ngamma\n');
      const { rows, terminal } = await requestRows();
      expect(terminal.boundary).toBe('backend.response.complete');
      const events = rows.filter((row) => row.boundary === 'backend.sse.event');
      expect(events.length).toBeGreaterThanOrEqual(1);
      expect(events.every((row) => row.metadata.event_type === 'chunk')).toBe(true);
      expect(events.reduce((sum, row) => sum + (row.metadata.payload_size_bytes as number), 0)).toBe(response.body.length);
    });

    it('client disconnect mid-stream: sse.aborted rst with the bytes sent', async () => {
      await readThenDisconnect(running.url, { path: '/shapes/file-slow', bytes: 500 });
      const { terminal } = await requestRows();
      expect(terminal.boundary).toBe('backend.sse.aborted');
      expect(terminal.metadata.termination_kind).toBe('rst');
      expect(terminal.metadata.bytes_before_abort).toBeGreaterThanOrEqual(500);
    });

    it('error after bytes: error.caught, then sse.aborted chunk_error', async () => {
      await send(running.url, { path: '/shapes/file-error' }).catch(() => undefined);
      const { rows, terminal } = await requestRows();
      expect(terminal.boundary).toBe('backend.sse.aborted');
      expect(terminal.metadata.termination_kind).toBe('chunk_error');
      expect(terminal.metadata.bytes_before_abort).toBe('first chunk\n'.length);
      const errors = rows.filter((row) => row.boundary === 'backend.error.caught');
      expect(errors).toHaveLength(1);
      expect(capture.text()).not.toContain('file-secret-1');
    });
  });

  describe('raw res.write stream', () => {
    it('client disconnect: sse.aborted rst, and the LLM producer is torn down', async () => {
      const stopped = new Promise((resolve) => llm.events.once('stopped', resolve));
      await readThenDisconnect(running.url, { method: 'POST', path: '/shapes/raw-endless', bytes: 300 });
      await stopped;
      const { rows, terminal } = await requestRows((all) => all.some((row) => row.boundary === 'backend.llm.call.response'));
      expect(terminal.metadata.termination_kind).toBe('rst');
      expect(llm.producersStopped).toBe(1);
      const response = rows.find((row) => row.boundary === 'backend.llm.call.response')!;
      expect(response.metadata.error_class).toBe('Abandoned');
      expect(rows.indexOf(response)).toBeGreaterThan(rows.indexOf(terminal));
    });
  });

  it('client disconnect while the handler awaits its LLM call: the call is torn down and its work ends as abandoned', async () => {
    await disconnectWhen(running.url, { path: '/shapes/await-llm' }, llm.nextCall());
    await expectAbandonedCall(capture, llm);
  });

  it('a server-side timeout: sse.aborted timeout, outcome timeout', async () => {
    running.app.getHttpServer().setTimeout(100);
    await send(running.url, { method: 'POST', path: '/shapes/stall' }).catch(() => undefined);
    const { terminal } = await requestRows();
    expect(terminal.boundary).toBe('backend.sse.aborted');
    expect(terminal.outcome).toBe('timeout');
    expect(terminal.metadata).toEqual({
      termination_kind: 'timeout',
      bytes_before_abort: 'data: first\n\n'.length,
      method: 'POST',
      route: '/shapes/stall',
      last_event_type: 'message',
    });
  });
});
