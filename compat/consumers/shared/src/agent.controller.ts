import { Controller, Get, MessageEvent, Sse } from '@nestjs/common';
import { interval, map, Observable } from 'rxjs';
import { AgentService } from './agent.service.js';

@Controller('agent')
export class AgentController {
  constructor(private readonly agent: AgentService) {}

  @Sse('answer')
  answer(): Observable<MessageEvent> {
    return this.agent.answer('hello from the agent');
  }

  @Sse('forever')
  forever(): Observable<MessageEvent> {
    return interval(10).pipe(map((tick) => ({ data: { tick } })));
  }

  @Get('fail')
  fail(): Promise<never> {
    return this.agent.fail();
  }
}
