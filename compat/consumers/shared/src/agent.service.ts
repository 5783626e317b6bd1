// src/agent.service.ts
import { Injectable, MessageEvent } from '@nestjs/common';
import { AgentEntry } from 'nestjs-cvdiag';
import { defer, from, map, Observable } from 'rxjs';
import { LlmClient } from './llm.client.js';

@Injectable()
export class AgentService {
  constructor(private readonly llm: LlmClient) {}

  @AgentEntry({ agentName: 'support-agent', modelId: 'gpt-4o-mini' })
  answer(prompt: string): Observable<MessageEvent> {
    return defer(() => from(this.llm.stream(prompt))).pipe(map((token) => ({ data: { token } })));
  }
}
