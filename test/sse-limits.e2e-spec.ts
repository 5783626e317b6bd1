/**
 * SSE features of Nest 11.2+ (the 11.1.4 compat run leaves this file out):
 * @SseSignal() and the pending-data limit that drops clients that stopped reading.
 */
import { Module } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CvdiagModule } from 'nestjs-cvdiag';
import { SseLimitsController } from './fixtures/sse-limits';
import { ObservableLlm, WaitingAgent } from './fixtures/stream-shapes';
import { expectAbandonedCall } from './support/abandoned-call';
import { StdoutCapture } from './support/cvdiag-capture';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { isTerminalBoundary } from 'nestjs-cvdiag/analysis';
import { DEBUG_ENV, useEnv } from './support/env';
import { connectWithoutReading, disconnectWhen } from './support/http-client';
import { ADAPTERS, RunningApp, startApp, waitFor } from './support/nest-app';

@Module({ imports: [CvdiagModule.forRoot()], controllers: [SseLimitsController], providers: [WaitingAgent, ObservableLlm] })
class SseLimitsModule {}

describe.each(ADAPTERS)('SSE limits on %s', (adapter) => {
  useEnv(DEBUG_ENV);
  let capture: StdoutCapture;
  let running: RunningApp;
  beforeEach(async () => {
    capture = new StdoutCapture().start();
    running = await startApp(SseLimitsModule, adapter);
  });
  afterEach(async () => {
    await running.close();
    capture.stop();
  });

  it('@SseSignal() on an async @Sse() route: the LLM call is torn down and its work ends as abandoned', async () => {
    const llm = running.app.get(ObservableLlm);
    await disconnectWhen(running.url, { path: '/sse-limits/sse-signal' }, llm.nextCall());
    await expectAbandonedCall(capture, llm);
  });

  it('a slow client dropped by maxPendingDataLength: sse.aborted rst', async () => {
    const disconnect = await connectWithoutReading(running.url, { path: '/sse-limits/flood' });
    try {
      await waitFor(() => capture.rows().some((row) => isTerminalBoundary(row.boundary)), 'the terminal', 15_000);
      const rows = capture.rows();
      assertValidRows(rows);
      const terminal = rows.find((row) => row.boundary === 'backend.sse.aborted')!;
      expect(terminal.metadata.termination_kind).toBe('rst');
      expect(terminal.metadata.bytes_before_abort).toBeGreaterThan(0);
    } finally {
      disconnect();
    }
  });
});
