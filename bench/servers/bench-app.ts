import { Controller, DynamicModule, Get, MessageEvent, Module, Sse } from '@nestjs/common';
import { from, interval, map, Observable, take } from 'rxjs';
import { CvdiagModule } from '../../lib';

/** What the server under test runs: no module, the module switched off, or on at a tier. */
export type ModuleMode = 'none' | 'disabled' | 'default' | 'debug';

export const SSE_EVENT_COUNT = 10;

/** Ten small token events, as an LLM answer streamed to a browser would send. */
const TOKENS: MessageEvent[] = Array.from({ length: SSE_EVENT_COUNT }, (_, index) => ({
  data: { index, token: `tok${index} ` },
}));

@Controller()
export class BenchController {
  /** The small JSON endpoint of table 2. */
  @Get('json')
  json(): { ok: boolean; items: number[]; message: string } {
    return { ok: true, items: [1, 2, 3], message: 'hello' };
  }

  /** The SSE endpoint of table 2: ten events written as fast as Nest writes them. */
  @Sse('sse')
  sse(): Observable<MessageEvent> {
    return from(TOKENS);
  }

  /**
   * The soak's stream: ten events 1 ms apart, so a client can leave while it is
   * still running (a synchronous stream would finish before any disconnect).
   */
  @Sse('sse-slow')
  sseSlow(): Observable<MessageEvent> {
    return interval(1).pipe(
      take(SSE_EVENT_COUNT),
      map((index) => TOKENS[index]),
    );
  }
}

@Module({})
export class BenchAppModule {
  static register(mode: ModuleMode): DynamicModule {
    const imports =
      mode === 'none' ? [] : [CvdiagModule.forRoot({ enabled: mode !== 'disabled', tier: mode === 'debug' ? 'debug' : 'default', slug: 'bench' })];
    return { module: BenchAppModule, imports, controllers: [BenchController] };
  }
}
