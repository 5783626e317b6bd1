import { request } from 'node:http';
import { uuidv7 } from 'uuidv7';

export interface Scenario {
  name: string;
  describe: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Disconnect after this many SSE events. */
  disconnectAfterEvents?: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  testId: string;
  status: number;
  events: number;
  disconnected: boolean;
}

/** Sends one scenario's request the way a browser chat UI would, with CVDIAG correlation headers. */
export function runScenario(baseUrl: string, scenario: Scenario): Promise<ScenarioResult> {
  const testId = uuidv7();
  const payload = scenario.body === undefined ? undefined : JSON.stringify(scenario.body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${scenario.path}`,
      {
        method: scenario.method,
        agent: false,
        headers: {
          accept: 'text/event-stream',
          'x-test-id': testId,
          'x-aimock-context': `sample-agent/${scenario.name}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let events = 0;
        let buffered = '';
        const done = (disconnected: boolean) => resolve({ scenario, testId, status: res.statusCode ?? 0, events, disconnected });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          const blocks = buffered.split('\n\n');
          buffered = blocks.pop() ?? '';
          events += blocks.filter((block) => block.trim() !== '').length;
          if (scenario.disconnectAfterEvents !== undefined && events >= scenario.disconnectAfterEvents) {
            req.destroy();
            done(true);
          }
        });
        res.on('end', () => done(false));
        res.on('error', () => undefined);
      },
    );
    req.on('error', (error) => (scenario.disconnectAfterEvents === undefined ? reject(error) : undefined));
    req.end(payload);
  });
}
