import { CallHandler, Controller, DynamicModule, Get, Injectable, MessageEvent, Module, NestInterceptor, OnApplicationBootstrap, Post, RequestMethod, Res, Sse } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { APP_INTERCEPTOR, HttpAdapterHost } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { AsyncLocalStorage } from 'node:async_hooks';
import { from, interval, map, Observable, take } from 'rxjs';
import { CvdiagModule, StdoutSink } from '../../lib';
import { writeAguiRun, type RawReply } from './agui-events';
import { BATCH_DELAY_MS, type ModuleMode } from './modes';
import type { AdapterName } from './server-main';
import { CvdiagOtelSink } from '../../lib/otel';
import { bridgeTracerProvider } from './otel-setup';

/** The `noop-interceptor` reference point (see modes.ts). */
@Injectable()
class NoopInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

const requestContext = new AsyncLocalStorage<{ startedAt: number }>();

/** The `als-interceptor` reference point: the store is entered for the handler call and for the subscription. */
@Injectable()
class ContextInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    const store = { startedAt: Date.now() };
    const source = requestContext.run(store, () => next.handle());
    return new Observable((subscriber) => requestContext.run(store, () => source.subscribe(subscriber)));
  }
}

export const SSE_EVENT_COUNT = 10;

/** Ten small token events, as an LLM answer streamed to a browser would send. */
const TOKENS: MessageEvent[] = Array.from({ length: SSE_EVENT_COUNT }, (_, index) => ({
  data: { index, token: `tok${index} ` },
}));

@Controller()
export class BenchController {
  /** POST SSE written by hand with @Res(), one write per AG-UI event (table 2's `agui` endpoint). */
  @Post('agui')
  agui(@Res() reply: RawReply): void {
    writeAguiRun(reply);
  }

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

/**
 * The `floor` reference: one row per request and nothing else. A listener
 * first on the server's 'request' event builds an envelope-shaped object when
 * the response finishes (fresh ids, the time, the status) and writes it to
 * stdout as one line, as a bare design would.
 */
@Injectable()
class FloorListener implements OnApplicationBootstrap {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
      const startedAt = performance.now();
      response.once('finish', () => {
        const row = {
          schema_version: 1,
          test_id: randomUUID(),
          trace_id: randomUUID(),
          span_id: randomUUID().slice(0, 16),
          parent_span_id: null,
          layer: 'backend',
          boundary: 'backend.response.complete',
          slug: 'bench',
          demo: 'json',
          ts: new Date().toISOString(),
          mono_ns: Math.round(performance.now() * 1e6),
          duration_ms: performance.now() - startedAt,
          outcome: 'ok',
          edge_headers: { 'cf-ray': null, 'cf-mitigated': null, 'cf-cache-status': null, 'x-railway-edge': null, 'x-railway-request-id': null, 'x-hikari-trace': null, 'retry-after': null, via: null, server: null },
          metadata: { http_status: response.statusCode, content_length: 0, total_duration_ms: 0, sse_event_count: 0, method: request.method, route: null, last_event_type: null },
          _metadata_dropped: false,
          _truncated: false,
        };
        process.stdout.write(`FLOOR ${JSON.stringify(row)}\n`);
      });
    });
  }
}

@Module({})
export class BenchAppModule {
  static register(mode: ModuleMode, adapter: AdapterName = 'express'): DynamicModule {
    const controllers = [BenchController];
    if (mode === 'none' || mode === 'otel-http' || mode === 'otel') return { module: BenchAppModule, controllers };
    if (mode === 'floor') return { module: BenchAppModule, controllers, providers: [FloorListener] };
    if (mode === 'pino') {
      // Default options; on Fastify its default route pattern matches nothing on platform-fastify 12, so it is bound to every path.
      const logger = adapter === 'fastify' ? LoggerModule.forRoot({ forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }] }) : LoggerModule.forRoot();
      return { module: BenchAppModule, imports: [logger], controllers };
    }
    if (mode === 'noop-interceptor' || mode === 'als-interceptor') {
      const interceptor = mode === 'noop-interceptor' ? NoopInterceptor : ContextInterceptor;
      return { module: BenchAppModule, controllers, providers: [{ provide: APP_INTERCEPTOR, useClass: interceptor }] };
    }
    const cvdiag = CvdiagModule.forRoot({
      enabled: mode !== 'disabled',
      tier: mode.startsWith('debug') ? 'debug' : 'default',
      slug: 'bench',
      sinks: [
        new StdoutSink({ coalesce: mode.endsWith('-coalesced') ? true : mode.endsWith('-batched') ? { maxDelayMs: BATCH_DELAY_MS } : false }),
        ...(mode === 'default-otel' ? [new CvdiagOtelSink({ tracer: bridgeTracerProvider().getTracer('bench') })] : []),
      ],
    });
    return { module: BenchAppModule, imports: [cvdiag], controllers };
  }
}
