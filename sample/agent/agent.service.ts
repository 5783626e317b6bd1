import { Injectable, MessageEvent } from '@nestjs/common';
import { defer, endWith, from, map, Observable } from 'rxjs';
import { AgentEntry } from 'nestjs-cvdiag';
import { OpenAiChatClient } from '../llm/openai-chat.client';

const SYSTEM_PROMPT = 'You are a concise assistant.';

@Injectable()
export class AgentService {
  constructor(private readonly llm: OpenAiChatClient) {}

  /** For the GET @Sse() route: the answer as SSE events, produced when Nest subscribes. */
  @AgentEntry({ agentName: 'sample-agent' })
  answerEvents(prompt: string): Observable<MessageEvent> {
    return defer(() => from(this.llm.streamChat(this.messages(prompt)))).pipe(
      map((token): MessageEvent => ({ type: 'delta', data: { token } })),
      endWith({ type: 'done', data: {} } as MessageEvent),
    );
  }

  /** For the POST raw-stream route: the answer as tokens. */
  @AgentEntry({ agentName: 'sample-agent' })
  async *answerTokens(prompt: string): AsyncGenerator<string> {
    yield* this.llm.streamChat(this.messages(prompt));
  }

  private messages(prompt: string) {
    return [
      { role: 'system' as const, content: SYSTEM_PROMPT },
      { role: 'user' as const, content: prompt },
    ];
  }
}
