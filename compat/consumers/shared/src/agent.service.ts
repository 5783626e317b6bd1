import { Injectable, MessageEvent } from '@nestjs/common';
import { AgentEntry, LlmCall } from 'nestjs-cvdiag';
import { setTimeout as sleep } from 'node:timers/promises';
import { from, map, Observable } from 'rxjs';

/** A fake upstream key, as a real provider error message would echo it. */
export const LEAKED_KEY = 'sk-proj-Consumer0123456789abcdefABCDEF';

@Injectable()
export class AgentService {
  @LlmCall({ provider: 'fake', model: 'fake-model-1' })
  async *tokens(prompt: string): AsyncGenerator<string> {
    for (const token of prompt.split(' ')) {
      await sleep(5);
      yield token;
    }
  }

  @AgentEntry({ agentName: 'consumer-agent' })
  answer(prompt: string): Observable<MessageEvent> {
    return from(this.tokens(prompt)).pipe(map((token) => ({ data: { token } })));
  }

  @AgentEntry({ agentName: 'consumer-agent' })
  async fail(): Promise<never> {
    await sleep(1);
    throw new Error(`upstream rejected the request (key ${LEAKED_KEY})`);
  }
}
