/**
 * The Nest port of every scenario of the original Python seed test
 * (shared/seed/test_cvdiag_boundaries.py), on both HTTP adapters. Everything
 * runs for real: a Nest app on a loopback port, real HTTP clients and socket
 * disconnects, and the actual CVDIAG lines the process writes to stdout.
 */
import { describe, expect, it } from '@jest/globals';
import { BACKEND_BOUNDARIES, scrub } from 'nestjs-cvdiag';
import { agentAppModule, LLM_HEARTBEAT_MS, SECRET_MESSAGE } from './fixtures/agent-app';
import { boundariesOf } from './support/cvdiag-capture';
import { useApps, useCapture } from './support/harness';
import { assertValidRows, UUIDV7_PATTERN } from 'nestjs-cvdiag/testing';
import { DEBUG_ENV, useEnv } from './support/env';
import { readThenDisconnect, send } from './support/http-client';
import { ADAPTERS, waitFor } from './support/nest-app';

const VALID_TEST_ID = '0190a9c0-1a2b-7c3d-8e4f-5a6b7c8d9e0f';
const SEED_HEADERS = { 'x-test-id': VALID_TEST_ID, 'x-aimock-context': 'ms-agent-python' };

describe.each(ADAPTERS)('seed scenarios on %s', (adapter) => {
  const capture = useCapture();
  const apps = useApps();

  describe('with the emitter on at debug tier', () => {
    useEnv(DEBUG_ENV);

    it('emits all 11 backend boundaries across a happy stream, a client disconnect and a throwing route', async () => {
      const running = await apps.start(agentAppModule(), adapter);

      const happy = await send(running.url, { method: 'POST', path: '/chat/stream', headers: SEED_HEADERS });
      expect(happy.status).toBe(200);
      expect(happy.body.toString()).toContain('event: done');

      await readThenDisconnect(running.url, { path: '/endless', headers: { 'x-aimock-context': 'ms-agent-python' }, bytes: 200 });
      await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.sse.aborted'), 'sse.aborted');

      const boom = await send(running.url, { method: 'POST', path: '/boom', headers: SEED_HEADERS });
      expect(boom.status).toBe(500);
      await waitFor(() => capture.rows().filter((row) => row.boundary === 'backend.response.complete').length >= 2, 'terminals');

      const rows = capture.rows();
      assertValidRows(rows);
      expect(new Set(boundariesOf(rows))).toEqual(new Set(BACKEND_BOUNDARIES));
      expect(BACKEND_BOUNDARIES).toHaveLength(11);

      expect(rows.every((row) => row.slug === 'ms-agent-python')).toBe(true);
      expect(rows.some((row) => row.test_id === VALID_TEST_ID)).toBe(true);
      expect(rows.every((row) => UUIDV7_PATTERN.test(row.test_id))).toBe(true);
      const ingress = rows.find((row) => row.boundary === 'backend.request.ingress' && row.test_id === VALID_TEST_ID)!;
      expect(Object.keys(ingress.edge_headers)).toEqual([
        'cf-ray', 'cf-mitigated', 'cf-cache-status', 'x-railway-edge', 'x-railway-request-id', 'x-hikari-trace',
        'retry-after', 'via', 'server',
      ]);
    });

    it('scrubs the secret from backend.error.caught and names the exception class', async () => {
      const running = await apps.start(agentAppModule(), adapter);
      const response = await send(running.url, { method: 'POST', path: '/boom', headers: { 'x-aimock-context': 'ms-agent-python' } });
      expect(response.status).toBe(500);
      await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.response.complete'), 'terminal');

      const rows = capture.rows();
      assertValidRows(rows);
      const errors = rows.filter((row) => row.boundary === 'backend.error.caught');
      expect(errors).toHaveLength(1);
      expect(errors[0].metadata.exception_type).toBe('RuntimeError');
      expect(errors[0].metadata.message_scrubbed).toContain('[REDACTED]');
      expect(capture.text()).not.toContain('sk-test-12345');
      expect(capture.text()).not.toContain('Bearer abc');
      expect(capture.text()).not.toContain('abc.def.ghi');
      // The client still gets Nest's own 500 body, not the message.
      expect(response.body.toString()).not.toContain('sk-test-12345');
      expect(SECRET_MESSAGE).toContain('sk-test-12345');
    });

    it('writes heartbeats while a slow LLM call is outstanding', async () => {
      const running = await apps.start(agentAppModule(), adapter);
      const response = await send(running.url, { path: '/answer?q=slow', headers: SEED_HEADERS });
      expect(response.status).toBe(200);
      await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.response.complete'), 'terminal');

      const rows = capture.rows();
      assertValidRows(rows);
      const heartbeats = rows.filter((row) => row.boundary === 'backend.llm.call.heartbeat');
      expect(heartbeats.length).toBeGreaterThanOrEqual(1);
      for (const heartbeat of heartbeats) {
        expect(heartbeat.metadata.elapsed_ms_since_start).toBeGreaterThanOrEqual(LLM_HEARTBEAT_MS - 1);
      }
      const order = boundariesOf(rows);
      expect(order.indexOf('backend.llm.call.start')).toBeLessThan(order.indexOf('backend.llm.call.heartbeat'));
      expect(order.lastIndexOf('backend.llm.call.heartbeat')).toBeLessThan(order.indexOf('backend.llm.call.response'));
    });

    it('reports a client disconnect as sse.aborted (rst, bytes > 0) and never as response.complete', async () => {
      const running = await apps.start(agentAppModule(), adapter);
      const received = await readThenDisconnect(running.url, { path: '/endless', headers: SEED_HEADERS, bytes: 300 });
      expect(received.length).toBeGreaterThanOrEqual(300);
      await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.sse.aborted'), 'sse.aborted');

      const rows = capture.rows();
      assertValidRows(rows);
      const aborted = rows.filter((row) => row.boundary === 'backend.sse.aborted');
      expect(aborted).toHaveLength(1);
      expect(aborted[0].metadata.termination_kind).toBe('rst');
      expect(aborted[0].metadata.bytes_before_abort).toBeGreaterThan(0);
      expect(rows.filter((row) => row.boundary === 'backend.response.complete')).toHaveLength(0);
    });
  });

  describe('with CVDIAG_BACKEND_EMITTER unset', () => {
    useEnv({ SHOWCASE_ENV: 'test', CVDIAG_DEBUG: '1' });

    it('emits nothing, on any route', async () => {
      const running = await apps.start(agentAppModule(), adapter);
      await send(running.url, { method: 'POST', path: '/chat/stream', headers: SEED_HEADERS });
      await send(running.url, { method: 'POST', path: '/boom', headers: SEED_HEADERS });
      await send(running.url, { path: '/answer', headers: SEED_HEADERS });
      await readThenDisconnect(running.url, { path: '/endless', bytes: 100 });
      expect(capture.rows()).toEqual([]);
    });
  });
});

describe('scrub() (seed: known secret shapes)', () => {
  it('redacts bearer, sk-, pk-, userinfo shapes and maps null to ""', () => {
    expect(scrub('key sk-test-12345 here')).not.toContain('sk-test-12345');
    expect(scrub('sk-abcdefghijklmnopqrstuvwx')).not.toContain('sk-abcdefghijklmnopqrstuvwx');
    expect(scrub('auth Bearer secrettoken')).not.toContain('Bearer secrettoken');
    expect(scrub('https://user:pw@host/path')).not.toContain('pw');
    expect(scrub('pk-live-abc123')).toBe('[REDACTED]');
    expect(scrub(null)).toBe('');
    expect(scrub(undefined)).toBe('');
  });
});
