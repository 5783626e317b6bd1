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
