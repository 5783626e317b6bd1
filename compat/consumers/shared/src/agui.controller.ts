// src/agui.controller.ts
import { Body, Controller, Post, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { LlmClient } from './llm.client.js';

interface RunAgentInput {
  threadId: string;
  runId: string;
  prompt: string;
}

/** Express hands @Res() the Node response; Fastify a reply that hands it over with hijack(). */
type RawReply = ServerResponse | { raw: ServerResponse; hijack(): void };

/** An AG-UI endpoint as CopilotKit-style runtimes serve it: POST, events written by hand. */
@Controller('agui')
export class AguiController {
  constructor(private readonly llm: LlmClient) {}

  @Post('run')
  async run(@Body() input: RunAgentInput, @Res() reply: RawReply): Promise<void> {
    const res = 'raw' in reply ? (reply.hijack(), reply.raw) : reply;
    const send = (event: object) => res.write(`data: ${JSON.stringify(event)}\n\n`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    send({ type: 'RUN_STARTED', threadId: input.threadId, runId: input.runId });
    try {
      send({ type: 'TEXT_MESSAGE_START', messageId: input.runId, role: 'assistant' });
      for await (const delta of this.llm.stream(input.prompt)) send({ type: 'TEXT_MESSAGE_CONTENT', messageId: input.runId, delta });
      send({ type: 'TEXT_MESSAGE_END', messageId: input.runId });
      send({ type: 'RUN_FINISHED', threadId: input.threadId, runId: input.runId });
    } catch (error) {
      // The AG-UI way: the run failed, the response says so and ends normally.
      send({ type: 'RUN_ERROR', message: error instanceof Error ? error.message : String(error) });
    }
    res.end();
  }
}
