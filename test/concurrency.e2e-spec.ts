import { describe, expect, it } from '@jest/globals';
import { uuidv7 } from 'uuidv7';
import { agentAppModule } from './fixtures/agent-app';

import { assertValidRows } from 'nestjs-cvdiag/testing';
import { useApps, useCapture } from './support/harness';
import { DEBUG_ENV, useEnv } from './support/env';
import { send } from './support/http-client';
import { ADAPTERS, waitFor } from './support/nest-app';

const REQUESTS = 50;

describe.each(ADAPTERS)('50 concurrent streamed requests on %s', (adapter) => {
  useEnv(DEBUG_ENV);
  const capture = useCapture();
  const apps = useApps();

  it('keeps every row, from services, timers and stream callbacks, on its own request', async () => {
    const running = await apps.start(agentAppModule(), adapter);
    const url = running.url;
    const testIds = Array.from({ length: REQUESTS }, () => uuidv7());
    const responses = await Promise.all(
      testIds.map((testId, index) =>
        send(url, {
          // Alternate the two stream shapes: @Sse() Observable and raw res.write.
          method: index % 2 === 0 ? 'GET' : 'POST',
          path: index % 2 === 0 ? `/chat/sse?q=${index}` : '/chat/stream',
          headers: { 'x-test-id': testId, 'x-aimock-context': `load-test/run-${index}` },
        }),
      ),
    );
    expect(responses.every((response) => response.status === 200)).toBe(true);
    await waitFor(
      () => capture.rows().filter((row) => row.boundary === 'backend.response.complete').length === REQUESTS,
      'all terminals',
    );

    const traces = assertValidRows(capture.rows());
    expect(traces.size).toBe(REQUESTS);
    const seenTestIds = new Set<string>();
    let heartbeats = 0;
    for (const trace of traces.values()) {
      const testId = trace[0].test_id;
      const index = testIds.indexOf(testId);
      expect(index).toBeGreaterThanOrEqual(0);
      seenTestIds.add(testId);
      expect(trace.every((row) => row.demo === `run-${index}`)).toBe(true);
      // Each request ran one agent and one LLM call: a row that leaked into
      // another request's context would show up as a second one here.
      const count = (boundary: string) => trace.filter((row) => row.boundary === boundary).length;
      expect(count('backend.agent.enter')).toBe(1);
      expect(count('backend.agent.exit')).toBe(1);
      expect(count('backend.llm.call.start')).toBe(1);
      expect(count('backend.llm.call.response')).toBe(1);
      expect(count('backend.sse.event')).toBeGreaterThanOrEqual(2);
      heartbeats += count('backend.llm.call.heartbeat');
    }
    expect(seenTestIds.size).toBe(REQUESTS);
    // Heartbeats come from timers: each is checked above (assertValidRows) to sit in its own
    // request under its own llm.call.start. How many a request gets depends on the load on the
    // machine (a blocked event loop fires fewer), so only their presence is asserted here.
    expect(heartbeats).toBeGreaterThan(0);
  });
});
