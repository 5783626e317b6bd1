// src/agent.controller.ts
import { Controller, MessageEvent, Query, Sse } from '@nestjs/common';
import { interval, map, Observable } from 'rxjs';
import { AgentService } from './agent.service.js';

@Controller('agent')
export class AgentController {
  constructor(private readonly agent: AgentService) {}

  @Sse('answer')
  answer(@Query('q') prompt = 'hello'): Observable<MessageEvent> {
    return this.agent.answer(prompt);
  }

  /** Ticks until the client leaves. */
  @Sse('ticks')
  ticks(): Observable<MessageEvent> {
    return interval(10).pipe(map((tick) => ({ data: { tick } })));
  }
}
