import { Agent, request } from 'node:http';
import { uuidv7 } from '../lib/envelope/ids';

export interface ClientPlan {
  url: string;
  requests: number;
  concurrency: number;
  /** Every n-th request leaves after its first event. */
  disconnectEvery: number;
  /** No new request starts after this long. */
  maxMs: number;
  expectedEvents: number;
}

export interface ClientTally {
  sent: number;
  completed: number;
  /** Requests that left mid-stream on purpose. */
  disconnected: number;
  /** Completed responses without the expected number of events, or not 200. */
  incomplete: number;
  errors: number;
  testIds: string[];
  elapsedMs: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Loopback SSE client for the soak: `concurrency` workers share a keep-alive
 * agent and each request carries its own `x-test-id`, so every request can be
 * matched to its terminal row. Bounded in count and in time.
 */
export async function runSoakClient(plan: ClientPlan): Promise<ClientTally> {
  const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });
  const tally: ClientTally = { sent: 0, completed: 0, disconnected: 0, incomplete: 0, errors: 0, testIds: [], elapsedMs: 0 };
  const started = Date.now();
  const deadline = started + plan.maxMs;
  let next = 0;

  const worker = async (): Promise<void> => {
    while (next < plan.requests && Date.now() < deadline) {
      const index = next++;
      const testId = uuidv7();
      tally.testIds.push(testId);
      tally.sent++;
      const outcome = await oneRequest(agent, plan, testId, index % plan.disconnectEvery === 0);
      tally[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  agent.destroy(); // close keep-alive sockets so the server can be measured idle
  tally.elapsedMs = Date.now() - started;
  return tally;
}

type Outcome = 'completed' | 'disconnected' | 'incomplete' | 'errors';

function oneRequest(agent: Agent, plan: ClientPlan, testId: string, leaveEarly: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: Outcome): void => {
      if (done) return;
      done = true;
      resolve(outcome);
    };
    const req = request(`${plan.url}`, { agent, headers: { 'x-test-id': testId, accept: 'text/event-stream' } }, (res) => {
      let events = 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        events += chunk.split('data:').length - 1;
        if (leaveEarly && events > 0) {
          // Leave mid-stream: the socket closes under the server's open response.
          req.destroy();
          finish('disconnected');
        }
      });
      res.on('end', () => finish(res.statusCode === 200 && events === plan.expectedEvents ? 'completed' : 'incomplete'));
      res.on('error', () => finish(leaveEarly ? 'disconnected' : 'errors'));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('client timeout')));
    req.on('error', () => finish('errors'));
    req.end();
  });
}
