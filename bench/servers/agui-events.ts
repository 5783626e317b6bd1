import type { ServerResponse } from 'node:http';

/** Events per AG-UI run on the bench's `agui` endpoints. */
export const AGUI_EVENT_COUNT = 20;

/** An AG-UI run as CopilotKit-style runtimes stream it: RUN_STARTED, message start, 16 content deltas, message end, RUN_FINISHED; one SSE block each. */
export const AGUI_EVENTS: readonly string[] = [
  { type: 'RUN_STARTED', threadId: 't1', runId: 'r1' },
  { type: 'TEXT_MESSAGE_START', messageId: 'm1', role: 'assistant' },
  ...Array.from({ length: AGUI_EVENT_COUNT - 4 }, (_, index) => ({ type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta: `token ${index} ` })),
  { type: 'TEXT_MESSAGE_END', messageId: 'm1' },
  { type: 'RUN_FINISHED', threadId: 't1', runId: 'r1' },
].map((event) => `data: ${JSON.stringify(event)}\n\n`);

/** What an `@Res()` handler gets: Express's response, or Fastify's reply with the raw one inside. */
export type RawReply = { raw?: ServerResponse; hijack?: () => void } & ServerResponse;

/** The `agui` endpoints' body: POST SSE written by hand, one write per AG-UI event, then the end. */
export function writeAguiRun(reply: RawReply): void {
  reply.hijack?.();
  const res = reply.raw ?? reply;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of AGUI_EVENTS) res.write(event);
  res.end();
}
