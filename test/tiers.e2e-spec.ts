import { describe, expect, it } from '@jest/globals';
import { agentAppModule } from './fixtures/agent-app';
import { CaptureLogger } from './support/capture-logger';
import { boundariesOf, StdoutCapture } from './support/cvdiag-capture';
import { useApps, useCapture } from './support/harness';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { useEnv } from './support/env';
import { readThenDisconnect, send } from './support/http-client';
import { ADAPTERS, waitFor } from './support/nest-app';

const DEFAULT_SET = [
  'backend.agent.enter',
  'backend.agent.exit',
  'backend.error.caught',
  'backend.response.complete',
  'backend.sse.aborted',
];
const VERBOSE_SET = [
  ...DEFAULT_SET,
  'backend.request.ingress',
  'backend.llm.call.start',
  'backend.llm.call.heartbeat',
  'backend.llm.call.response',
  'backend.sse.first_byte',
];
const DEBUG_SET = [...VERBOSE_SET, 'backend.sse.event'];

/** The three request shapes of the seed: a stream, a disconnect, a throw. */
async function driveAllShapes(url: string, capture: StdoutCapture): Promise<void> {
  const stream = await send(url, { method: 'POST', path: '/chat/stream' });
  expect(stream.status).toBe(200);
  await readThenDisconnect(url, { path: '/endless', bytes: 200 });
  await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.sse.aborted'), 'sse.aborted');
  expect((await send(url, { method: 'POST', path: '/boom' })).status).toBe(500);
  await waitFor(() => capture.rows().filter((row) => row.boundary === 'backend.response.complete').length === 2, 'terminals');
}

describe.each(ADAPTERS)('tiers on %s', (adapter) => {
  const capture = useCapture();
  const apps = useApps();

  describe('set by the tier option', () => {
    useEnv({ SHOWCASE_ENV: 'test' });
    it.each([
      ['default', DEFAULT_SET],
      ['verbose', VERBOSE_SET],
      ['debug', DEBUG_SET],
    ] as const)('writes exactly the %s boundaries, and counts events at every tier', async (tier, expected) => {
      const running = await apps.start(agentAppModule({ enabled: true, tier }), adapter);
      await driveAllShapes(running.url, capture);
      const rows = capture.rows();
      assertValidRows(rows, { tier });
      expect(new Set(boundariesOf(rows))).toEqual(new Set(expected));
      // The stream wrote 3 events; the count is kept even where event rows are not written.
      const streamComplete = rows.find(
        (row) => row.boundary === 'backend.response.complete' && row.metadata.http_status === 200,
      )!;
      expect(streamComplete.metadata.sse_event_count).toBe(3);
    });
  });

  describe('set by the environment', () => {
    useEnv({ CVDIAG_BACKEND_EMITTER: 'yes', CVDIAG_VERBOSE: '1', SHOWCASE_ENV: 'ci' });
    it('CVDIAG_VERBOSE=1 gives the verbose set', async () => {
      const running = await apps.start(agentAppModule(), adapter);
      await driveAllShapes(running.url, capture);
      const rows = capture.rows();
      assertValidRows(rows, { tier: 'verbose' });
      expect(new Set(boundariesOf(rows))).toEqual(new Set(VERBOSE_SET));
    });
  });

  describe('debug under NODE_ENV=production', () => {
    useEnv({ CVDIAG_BACKEND_EMITTER: '1', CVDIAG_DEBUG: '1', NODE_ENV: 'production' });
    it('is refused with one warning; the app boots, serves, and writes the verbose set', async () => {
      const logger = new CaptureLogger();
      const running = await apps.start(agentAppModule(), adapter, undefined, logger);
      await driveAllShapes(running.url, capture);
      await send(running.url, { path: '/json' });
      const rows = capture.rows();
      assertValidRows(rows, { tier: 'verbose' });
      expect(new Set(boundariesOf(rows))).toEqual(new Set(VERBOSE_SET));
      const refusals = logger.warnings.filter((message) => message.includes('debug tier refused'));
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toContain('"production"');
    });
  });

  describe('debug with CVDIAG_DEBUG_ALLOW_LIST', () => {
    useEnv({ CVDIAG_BACKEND_EMITTER: '1', CVDIAG_DEBUG: '1', SHOWCASE_ENV: 'staging', CVDIAG_DEBUG_ALLOW_LIST: 'allowed-app, other' });
    it('allows debug only for listed slugs', async () => {
      const running = await apps.start(agentAppModule(), adapter);
      await send(running.url, { method: 'POST', path: '/chat/stream', headers: { 'x-aimock-context': 'allowed-app' } });
      await send(running.url, { method: 'POST', path: '/chat/stream', headers: { 'x-aimock-context': 'not-listed' } });
      await waitFor(() => capture.rows().filter((row) => row.boundary === 'backend.response.complete').length === 2, 'terminals');
      const rows = capture.rows();
      assertValidRows(rows);
      const events = rows.filter((row) => row.boundary === 'backend.sse.event');
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((row) => row.slug === 'allowed-app')).toBe(true);
    });
  });
});
