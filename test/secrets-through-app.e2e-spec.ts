import { Controller, Injectable, Module, Param, Post, Res } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import { AgentEntry, CvdiagModule, CvdiagService, LlmCall } from 'nestjs-cvdiag';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { leakedParts, secretSamples } from './fixtures/secret-corpus';
import { rawStream, type RawResponse } from './fixtures/agent-app';
import { useApps, useCapture } from './support/harness';
import { DEBUG_ENV, useEnv } from './support/env';
import { send } from './support/http-client';
import { ADAPTERS, waitFor } from './support/nest-app';

/**
 * The property: a secret of any family, put in any place where a string enters
 * a row, does not survive in any row. Every family visits every place: in
 * round k, place p holds family (k + p) mod F, so F rounds cover all pairs.
 */
const SAMPLES = secretSamples(7);
const PLACES = [
  'exception message',
  'exception class name',
  'error.name',
  'stack file name',
  'path, raw (also the demo)',
  'path, percent-encoded',
  'x-aimock-context demo',
  'x-test-id with adoptTestId',
  '@AgentEntry agentName',
  '@LlmCall provider and model',
  'SSE event name',
  'AG-UI RUN_ERROR message',
  'markStreamEvent name',
  'reportError object',
  'edge header via',
  'edge header server',
] as const;
type Place = (typeof PLACES)[number];

/** The text of the family that `place` holds in round `round`. */
function textAt(round: number, place: Place): string {
  return SAMPLES[(round + PLACES.indexOf(place)) % SAMPLES.length]!.text;
}

/** A text on one line, for headers and SSE fields. */
const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ');

/** A path segment written as is, escaping only what would end or break the path. */
const rawSegment = (text: string) => encodeURI(oneLine(text)).replace(/\?/g, '%3F').replace(/#/g, '%23');

/** Decorated classes whose decorator options hold a family's text, one pair per family. */
const DECORATED = SAMPLES.map((sample) => {
  class Llm {
    @LlmCall({ provider: sample.text, model: sample.text })
    async complete(): Promise<string> {
      return 'ok';
    }
  }
  class Agent {
    private readonly llm = new Llm();
    @AgentEntry({ agentName: sample.text, modelId: sample.text })
    async run(): Promise<string> {
      return this.llm.complete();
    }
  }
  return new Agent();
});

@Injectable()
class Leaks {
  constructor(readonly cvdiag: CvdiagService) {}
}

@Controller('leak')
class LeakController {
  constructor(private readonly leaks: Leaks) {}

  /** POST SSE: event names and an AG-UI RUN_ERROR message from the families, agent and LLM rows with decorator options. */
  @Post('sse/:round')
  async sse(@Param('round') param: string, @Res() res: RawResponse): Promise<void> {
    const round = Number(param);
    await DECORATED[(round + PLACES.indexOf('@AgentEntry agentName')) % SAMPLES.length]!.run();
    await DECORATED[(round + PLACES.indexOf('@LlmCall provider and model')) % SAMPLES.length]!.run();
    const raw = rawStream(res);
    raw.writeHead(200, { 'content-type': 'text/event-stream' });
    raw.write(`event: ${oneLine(textAt(round, 'SSE event name'))}\ndata: {}\n\n`);
    raw.write(`data: ${JSON.stringify({ type: 'RUN_ERROR', message: textAt(round, 'AG-UI RUN_ERROR message') })}\n\n`);
    raw.end();
  }

  /** A body CVDIAG cannot cut into events: the app marks them, with a family's text as the name. */
  @Post('marks/:round')
  marks(@Param('round') param: string, @Res() res: RawResponse): void {
    const raw = rawStream(res);
    raw.writeHead(200, { 'content-type': 'application/octet-stream' });
    this.leaks.cvdiag.markStreamEvent(textAt(Number(param), 'markStreamEvent name'), 5);
    raw.write('chunk');
    raw.end();
  }

  /** An error reported by the app, then one thrown, with families in its message, class name, name and stack. */
  @Post('throw/:round')
  throws(@Param('round') param: string): never {
    const round = Number(param);
    this.leaks.cvdiag.reportError({ detail: textAt(round, 'reportError object'), nested: { text: textAt(round, 'reportError object') } });
    const Thrown = class extends Error {};
    Object.defineProperty(Thrown, 'name', { value: textAt(round, 'exception class name') });
    const error = new Thrown(`upstream failed: ${textAt(round, 'exception message')}`);
    Object.defineProperty(error, 'name', { value: textAt(round, 'error.name') });
    error.stack = `Error: boom\n    at handler (/srv/app/${oneLine(textAt(round, 'stack file name'))}/main.js:10:5)`;
    throw error;
  }
}

@Module({
  imports: [CvdiagModule.forRoot({ enabled: true, tier: 'debug', adoptTestId: true })],
  controllers: [LeakController],
  providers: [Leaks],
})
class LeakAppModule {}

describe.each(ADAPTERS)('no secret of any family leaves through any place, on %s', (adapter) => {
  useEnv(DEBUG_ENV);
  const capture = useCapture();
  const apps = useApps();
  const terminals = () => capture.rows().filter((row) => row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted').length;

  it(`${SAMPLES.length} families × ${PLACES.length} places`, async () => {
    const running = await apps.start(LeakAppModule, adapter);
    let requests = 0;
    for (let round = 0; round < SAMPLES.length; round++) {
      const path = `/${rawSegment(textAt(round, 'path, raw (also the demo)'))}/x/${encodeURIComponent(textAt(round, 'path, percent-encoded'))}`;
      const headers = {
        'x-aimock-context': `slug/${oneLine(textAt(round, 'x-aimock-context demo'))}`,
        'x-test-id': oneLine(textAt(round, 'x-test-id with adoptTestId')),
        via: `1.1 ${oneLine(textAt(round, 'edge header via'))}`,
        server: oneLine(textAt(round, 'edge header server')),
      };
      const answers = await Promise.all([
        send(running.url, { path, headers }),
        send(running.url, { method: 'POST', path: `/leak/sse/${round}` }),
        send(running.url, { method: 'POST', path: `/leak/marks/${round}` }),
        send(running.url, { method: 'POST', path: `/leak/throw/${round}` }),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([404, 200, 200, 500]);
      requests += answers.length;
    }
    await waitFor(() => terminals() === requests, 'a terminal per request', 20_000);

    const rows = capture.rows();
    assertValidRows(rows, { tier: 'debug', adoptedTestIds: true });
    // Every place produced its row: the property is not vacuous.
    expect(rows.filter((row) => row.boundary === 'backend.error.caught').length).toBeGreaterThanOrEqual(SAMPLES.length * 3);
    expect(rows.filter((row) => row.boundary === 'backend.agent.enter').length).toBe(SAMPLES.length * 2);
    expect(rows.filter((row) => row.boundary === 'backend.llm.call.start').length).toBe(SAMPLES.length * 2);
    expect(rows.filter((row) => row.boundary === 'backend.sse.event').length).toBeGreaterThanOrEqual(SAMPLES.length * 3);

    const text = capture.text();
    const leaks = SAMPLES.flatMap((sample) => {
      const parts = leakedParts(text, sample.secret);
      if (parts.length === 0) return [];
      const at = text.toLowerCase().indexOf(parts[0]!.toLowerCase());
      return [`${sample.family}: ${parts.join(', ')} in …${text.slice(Math.max(0, at - 200), at + 100)}…`];
    });
    expect(leaks).toEqual([]);
  }, 60_000);
});
