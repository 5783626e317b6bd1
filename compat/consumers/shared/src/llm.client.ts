// src/llm.client.ts
import { Injectable } from '@nestjs/common';
import { LlmCall } from 'nestjs-cvdiag';
import { setTimeout as sleep } from 'node:timers/promises';

/** A stand-in for your LLM SDK: streams the tokens of an answer. */
@Injectable()
export class LlmClient {
  @LlmCall({ provider: 'openai', model: 'gpt-4o-mini' })
  async *stream(prompt: string): AsyncGenerator<string> {
    if (prompt === 'fail') throw new Error('401 from upstream: invalid key sk-proj-Example0123456789abcdefABCDEF');
    for (const token of `You asked: ${prompt}`.split(' ')) {
      await sleep(5);
      yield token;
    }
  }
}
