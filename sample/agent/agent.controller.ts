import { Body, Controller, MessageEvent, Post, Query, Res, Sse } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { Observable } from 'rxjs';
import { CvdiagService } from 'nestjs-cvdiag';
import { AgentService } from './agent.service';

@Controller('agent')
export class AgentController {
  constructor(
    private readonly agent: AgentService,
    private readonly cvdiag: CvdiagService,
  ) {}

  /** GET SSE with @Sse(): Nest writes the events. */
  @Sse('sse')
  sse(@Query('prompt') prompt = 'Say hello'): Observable<MessageEvent> {
    return this.agent.answerEvents(prompt);
  }

  /** POST SSE written by hand, as chat UIs that send a JSON body do. */
  @Post('chat')
  async chat(@Body() body: { prompt?: string }, @Res() res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    try {
      for await (const token of this.agent.answerTokens(body?.prompt ?? 'Say hello')) {
        if (res.destroyed) break;
        res.write(`event: delta\ndata: ${JSON.stringify({ token })}\n\n`);
      }
      res.end('event: done\ndata: {}\n\n');
    } catch (error) {
      // Handled here (the client gets an error event), so report it explicitly.
      this.cvdiag.reportError(error);
      res.end('event: error\ndata: {"message":"upstream failure"}\n\n');
    }
  }
}
