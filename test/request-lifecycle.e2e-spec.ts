import {
  BadRequestException,
  CanActivate,
  ExecutionContext,
  Controller,
  Get,
  Header,
  Injectable,
  MessageEvent,
  MiddlewareConsumer,
  Module,
  NestMiddleware,
  NestModule,
  Post,
  Res,
  Sse,
  UseGuards,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { concat, interval, map, Observable, of, take, throwError } from 'rxjs';
import { CvdiagModule, CvdiagModuleOptions, CvdiagService, SkipCvdiag } from 'nestjs-cvdiag';
import { ChatController, FakeLlmClient, rawStream, ShowcaseAgent } from './fixtures/agent-app';
import { boundariesOf, CapturedRow, StdoutCapture } from './support/cvdiag-capture';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { DEBUG_ENV, useEnv } from './support/env';
import { send } from './support/http-client';
import { nestAtLeast } from './support/nest-version';
import { ADAPTERS, RunningApp, startApp, waitFor } from './support/nest-app';

class StreamBroke extends Error {
  override name = 'StreamBroke';
}

@Injectable()
class RejectAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** The app's own global guard: it rejects one path, before any route guard runs. */
@Injectable()
class AppWideGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ url?: string }>();
    return !(request.url ?? '').startsWith('/quiet/denied-app-wide');
  }
}

@Controller('life')
class LifecycleController {
  constructor(
    private readonly agent: ShowcaseAgent,
    private readonly cvdiag: CvdiagService,
  ) {}

  @Sse('sse-error-after-events')
  errorAfterEvents(): Observable<MessageEvent> {
    return concat(
      interval(1).pipe(take(3), map((i) => ({ data: { i } }))),
      throwError(() => new StreamBroke('upstream died with api_key=abc123secret')),
    );
  }

  @Sse('sse-error-before-events')
  errorBeforeEvents(): Observable<MessageEvent> {
    return throwError(() => new BadRequestException('bad prompt'));
  }

  @Post('raw-error-after-writes')
  async rawErrorAfterWrites(@Res() res: Parameters<typeof rawStream>[0]): Promise<void> {
    const raw = rawStream(res);
    raw.writeHead(200, { 'content-type': 'text/event-stream' });
    raw.write('data: one\n\n');
    await new Promise((resolve) => setTimeout(resolve, 5));
    throw new StreamBroke('raw stream failed');
  }

  /** Three events batched into one write, marked by the app. */
  @Post('batched')
  batched(@Res() res: Parameters<typeof rawStream>[0]): void {
    const raw = rawStream(res);
    raw.writeHead(200, { 'content-type': 'text/event-stream' });
    const events = ['event: delta\ndata: a\n\n', 'event: delta\ndata: b\n\n', 'event: done\ndata: {}\n\n'];
    for (const event of events) this.cvdiag.markStreamEvent(event.startsWith('event: done') ? 'done' : 'delta', Buffer.byteLength(event));
    raw.write(events.join(''));
    raw.end();
  }

  @Get('skipped')
  @SkipCvdiag()
  async skipped(): Promise<string> {
    await this.agent.answerOnce('ping');
    return 'not instrumented';
  }

  /** Excluded by path; it still calls the agent, whose rows must not appear either. */
  @Get('health')
  async health(): Promise<string> {
    await this.agent.answerOnce('ping');
    return 'ok';
  }

  @Get('edge-json')
  @Header('retry-after', '5')
  @Header('Via', '1.1 edge-proxy')
  edgeJson(): { ok: boolean } {
    return { ok: true };
  }

  @Sse('edge-sse')
  @Header('Server', 'cvdiag-test')
  edgeSse(): Observable<MessageEvent> {
    return of({ data: 'one' });
  }

  @Get('middleware-error')
  neverReached(): string {
    return 'unreachable';
  }
}

@Controller('quiet')
@SkipCvdiag()
class QuietController {
  @Get()
  quiet(): string {
    return 'quiet';
  }

  /** Rejected by the app's guard: only a guard that runs before it can know the route is skipped. */
  @Get('denied')
  @UseGuards(RejectAll)
  denied(): string {
    return 'never';
  }

  @Get('denied-app-wide')
  deniedAppWide(): string {
    return 'never';
  }
}

@Injectable()
class FailingMiddleware implements NestMiddleware {
  use(): void {
    throw new BadRequestException('rejected by middleware');
  }
}

function lifecycleModule(options: CvdiagModuleOptions) {
  @Module({
    imports: [CvdiagModule.forRoot(options)],
    controllers: [ChatController, LifecycleController, QuietController],
    providers: [ShowcaseAgent, FakeLlmClient, FailingMiddleware, { provide: APP_GUARD, useClass: AppWideGuard }],
  })
  class LifecycleModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply(FailingMiddleware).forRoutes('life/middleware-error');
    }
  }
  return LifecycleModule;
}

describe.each(ADAPTERS)('request lifecycle on %s', (adapter) => {
  useEnv(DEBUG_ENV);
  let capture: StdoutCapture;
  let running: RunningApp;
  beforeEach(async () => {
    capture = new StdoutCapture().start();
    running = await startApp(lifecycleModule({ exclude: ['/life/health'] }), adapter);
  });
  afterEach(async () => {
    await running.close();
    capture.stop();
  });

  const terminalRows = () => capture.rows().filter((row) => row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted');
  async function rowsOf(method: string, path: string): Promise<{ status: number; body: string; rows: CapturedRow[] }> {
    const before = terminalRows().length;
    const response = await send(running.url, { method, path });
    await waitFor(() => terminalRows().length === before + 1, `terminal of ${path}`);
    const rows = capture.rows();
    assertValidRows(rows);
    const traceId = terminalRows()[before].trace_id;
    return { status: response.status, body: response.body.toString(), rows: rows.filter((row) => row.trace_id === traceId) };
  }

  it('an unknown route: ingress, error.caught (NotFoundException), complete 404', async () => {
    const { status, rows } = await rowsOf('GET', '/no/such/route');
    expect(status).toBe(404);
    expect(boundariesOf(rows)).toEqual(['backend.request.ingress', 'backend.error.caught', 'backend.response.complete']);
    expect(rows[1].metadata.exception_type).toBe('NotFoundException');
    expect(rows[2].metadata.http_status).toBe(404);
    expect(rows[2].outcome).toBe('err');
  });

  it('a request rejected by a guard: ingress, error.caught (ForbiddenException), complete 403', async () => {
    const { status, rows } = await rowsOf('GET', '/guarded');
    expect(status).toBe(403);
    expect(boundariesOf(rows)).toEqual(['backend.request.ingress', 'backend.error.caught', 'backend.response.complete']);
    expect(rows[1].metadata.exception_type).toBe('ForbiddenException');
  });

  it('an exception thrown by middleware: error.caught and a terminal', async () => {
    const { status, rows } = await rowsOf('GET', '/life/middleware-error');
    expect(status).toBe(400);
    expect(boundariesOf(rows)).toEqual(['backend.request.ingress', 'backend.error.caught', 'backend.response.complete']);
    expect(rows[1].metadata.exception_type).toBe('BadRequestException');
  });

  it('edge headers: the request\'s on ingress, the response\'s on first_byte and the terminal', async () => {
    const before = terminalRows().length;
    await send(running.url, { path: '/life/edge-json', headers: { 'CF-Ray': '8a1b2c3d4e5f-AMS', via: '1.1 client-side' } });
    await waitFor(() => terminalRows().length === before + 1, 'terminal');
    let rows = capture.rows();
    assertValidRows(rows);
    const ingress = rows.find((row) => row.boundary === 'backend.request.ingress')!;
    expect(ingress.edge_headers['cf-ray']).toBe('8a1b2c3d4e5f-AMS');
    expect(ingress.edge_headers.via).toBe('1.1 client-side');
    const complete = rows.find((row) => row.boundary === 'backend.response.complete')!;
    expect(complete.edge_headers).toMatchObject({ 'retry-after': '5', via: '1.1 edge-proxy', 'cf-ray': null });

    capture.clear();
    const response = await send(running.url, { path: '/life/edge-sse' });
    expect(response.headers.server).toBe('cvdiag-test');
    await waitFor(() => terminalRows().length === 1, 'terminal');
    rows = capture.rows();
    assertValidRows(rows);
    for (const boundary of ['backend.sse.first_byte', 'backend.response.complete']) {
      expect(rows.find((row) => row.boundary === boundary)!.edge_headers.server).toBe('cvdiag-test');
    }
    // Rows that describe neither request nor response carry none.
    expect(rows.filter((row) => row.boundary === 'backend.sse.event').every((row) => Object.values(row.edge_headers).every((v) => v === null))).toBe(true);
  });

  it('events the app marks itself are counted once, after first_byte, instead of the write', async () => {
    const { rows } = await rowsOf('POST', '/life/batched');
    const streamRows = rows.filter((row) => row.boundary.startsWith('backend.sse.'));
    expect(streamRows.map((row) => row.boundary)).toEqual(['backend.sse.first_byte', 'backend.sse.event', 'backend.sse.event', 'backend.sse.event']);
    expect(streamRows.slice(1).map((row) => row.metadata.event_type)).toEqual(['delta', 'delta', 'done']);
    expect(rows.find((row) => row.boundary === 'backend.response.complete')!.metadata.sse_event_count).toBe(3);
  });

  it('a handler error seen by both interceptor and filter is written once', async () => {
    const { rows } = await rowsOf('POST', '/boom');
    expect(rows.filter((row) => row.boundary === 'backend.error.caught')).toHaveLength(1);
  });

  it('an @Sse() stream erroring after events: error.caught then sse.aborted chunk_error, secret scrubbed', async () => {
    const { status, rows } = await rowsOf('GET', '/life/sse-error-after-events');
    expect(status).toBe(200);
    const order = boundariesOf(rows);
    expect(order.filter((boundary) => boundary === 'backend.sse.event').length).toBeGreaterThanOrEqual(3);
    expect(order.indexOf('backend.error.caught')).toBeLessThan(order.indexOf('backend.sse.aborted'));
    expect(order).not.toContain('backend.response.complete');
    const aborted = rows.find((row) => row.boundary === 'backend.sse.aborted')!;
    expect(aborted.metadata.termination_kind).toBe('chunk_error');
    expect(aborted.metadata.bytes_before_abort).toBeGreaterThan(0);
    expect(capture.text()).not.toContain('abc123secret');
  });

  it('an @Sse() stream erroring before any event: error.caught, then the terminal of what Nest wrote', async () => {
    const { status, rows } = await rowsOf('GET', '/life/sse-error-before-events');
    const order = boundariesOf(rows);
    expect(order.filter((boundary) => boundary === 'backend.error.caught')).toHaveLength(1);
    if (nestAtLeast('11.1.24')) {
      // Headers wait for the first event, so the filter still answers with the exception's status.
      expect(status).toBe(400);
      expect(rows.find((row) => row.boundary === 'backend.response.complete')!.metadata.http_status).toBe(400);
      expect(order).not.toContain('backend.sse.aborted');
    } else {
      // Older Nest commits a 200 at once and writes the error as an event: the stream broke after bytes.
      expect(status).toBe(200);
      expect(rows.find((row) => row.boundary === 'backend.sse.aborted')!.metadata.termination_kind).toBe('chunk_error');
      expect(order).not.toContain('backend.response.complete');
    }
  });

  it('a raw stream whose handler throws after writing: sse.aborted chunk_error', async () => {
    const { rows } = await rowsOf('POST', '/life/raw-error-after-writes');
    const aborted = rows.find((row) => row.boundary === 'backend.sse.aborted')!;
    expect(aborted.metadata.termination_kind).toBe('chunk_error');
    expect(aborted.metadata.bytes_before_abort).toBe('data: one\n\n'.length);
    expect(rows.filter((row) => row.boundary === 'backend.error.caught')).toHaveLength(1);
  });

  it('@SkipCvdiag() on a route or a controller, and excluded paths, write nothing', async () => {
    expect((await send(running.url, { path: '/life/skipped' })).body.toString()).toBe('not instrumented');
    expect((await send(running.url, { path: '/quiet' })).body.toString()).toBe('quiet');
    expect((await send(running.url, { path: '/quiet/denied' })).status).toBe(403);
    expect((await send(running.url, { path: '/quiet/denied-app-wide' })).status).toBe(403);
    expect((await send(running.url, { path: '/life/health' })).body.toString()).toBe('ok');
    // A request after them proves the rows would have been written by now.
    await rowsOf('GET', '/json');
    const rows = capture.rows();
    expect(rows.map((row) => row.boundary)).toEqual(['backend.request.ingress', 'backend.response.complete']);
    expect(rows[0].metadata.path).toBe('/json');
  });

  it('decorated work called outside any request gets a minted test id, the configured slug and demo "default"', async () => {
    const agent = running.app.get(ShowcaseAgent);
    const answer = await agent.answerOnce('a background job');
    expect(answer).toContain('answer');
    await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.agent.exit'), 'agent.exit');
    const rows = capture.rows();
    const traceIds = [...new Set(rows.map((row) => row.trace_id))];
    assertValidRows(rows, { detachedTraces: traceIds });
    expect(traceIds).toHaveLength(1);
    expect(boundariesOf(rows)).toEqual(
      expect.arrayContaining(['backend.agent.enter', 'backend.llm.call.start', 'backend.llm.call.response', 'backend.agent.exit']),
    );
    expect(rows.every((row) => row.slug === 'unknown' && row.demo === 'default')).toBe(true);
  });
});
