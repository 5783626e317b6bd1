/**
 * Exceptions from every layer Nest runs a request through: each is written once
 * as error.caught, and the response stays what the app's own filters make of it.
 */
import {
  ArgumentsHost,
  CallHandler,
  CanActivate,
  Catch,
  Controller,
  ExceptionFilter,
  Get,
  Injectable,
  Module,
  NestInterceptor,
  Param,
  ParseIntPipe,
  UnauthorizedException,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Observable } from 'rxjs';
import { CvdiagModule, CvdiagService } from 'nestjs-cvdiag';
import { StdoutCapture } from './support/cvdiag-capture';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { DEBUG_ENV, useEnv } from './support/env';
import { HttpResult, send } from './support/http-client';
import { ADAPTERS, startApp, waitFor } from './support/nest-app';

class LayerError extends Error {
  constructor(readonly layer: string) {
    super(`failed in the ${layer}`);
    this.name = 'LayerError';
  }
}

function reply(host: ArgumentsHost, status: number, body: unknown): void {
  const response = host.switchToHttp().getResponse<Record<string, (...args: unknown[]) => unknown>>();
  if (typeof response.json === 'function') (response.status(status) as typeof response).json(body);
  else (response.code(status) as typeof response).send(body);
}

/** An app-wide interceptor of the app's own, registered before CVDIAG's: it wraps CVDIAG's. */
@Injectable()
class FailingAppInterceptor implements NestInterceptor {
  intercept(context: import('@nestjs/common').ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<{ url?: string; raw?: { url?: string } }>();
    if ((request.raw?.url ?? request.url)?.startsWith('/layers/app-interceptor')) throw new LayerError('app interceptor');
    return next.handle();
  }
}

@Injectable()
class FailingRouteInterceptor implements NestInterceptor {
  intercept(): Observable<unknown> {
    throw new LayerError('route interceptor');
  }
}

@Catch(LayerError)
class MethodFilter implements ExceptionFilter {
  catch(exception: LayerError, host: ArgumentsHost): void {
    reply(host, 422, { handledBy: 'MethodFilter', layer: exception.layer });
  }
}

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException('token expired');
  }
}

/** A controller catch-all that reports what only it sees, as the README shows. */
@Catch()
@Injectable()
class ReportingControllerFilter implements ExceptionFilter {
  constructor(private readonly cvdiag: CvdiagService) {}
  catch(exception: unknown, host: ArgumentsHost): void {
    this.cvdiag.reportError(exception, host);
    reply(host, 401, { handledBy: 'ReportingControllerFilter' });
  }
}

@Controller('layers')
class LayersController {
  @Get('app-interceptor')
  appInterceptor(): string {
    return 'unreachable';
  }

  @Get('route-interceptor')
  @UseInterceptors(FailingRouteInterceptor)
  routeInterceptor(): string {
    return 'unreachable';
  }

  @Get('pipe/:id')
  pipe(@Param('id', ParseIntPipe) id: number): { id: number } {
    return { id };
  }

  @Get('method-filter')
  @UseFilters(MethodFilter)
  methodFilter(): never {
    throw new LayerError('handler');
  }
}

@Controller('guarded')
@UseFilters(ReportingControllerFilter)
class GuardedController {
  @Get()
  @UseGuards(TokenGuard)
  guarded(): string {
    return 'unreachable';
  }
}

/** The app's interceptor module comes first, so its APP_INTERCEPTOR is the outer one. */
@Module({ providers: [{ provide: APP_INTERCEPTOR, useClass: FailingAppInterceptor }] })
class AppInterceptorModule {}

function layersModule(withCvdiag: boolean) {
  @Module({
    imports: [AppInterceptorModule, ...(withCvdiag ? [CvdiagModule.forRoot()] : [])],
    controllers: [LayersController, GuardedController],
    providers: withCvdiag ? [ReportingControllerFilter] : [ReportingControllerFilter, { provide: CvdiagService, useValue: { reportError: () => undefined } }],
  })
  class LayersModule {}
  return LayersModule;
}

const CASES: Array<{ path: string; status: number; exception: string }> = [
  { path: '/layers/app-interceptor', status: 500, exception: 'LayerError' },
  { path: '/layers/route-interceptor', status: 500, exception: 'LayerError' },
  { path: '/layers/pipe/not-a-number', status: 400, exception: 'BadRequestException' },
  { path: '/layers/method-filter', status: 422, exception: 'LayerError' },
  { path: '/guarded', status: 401, exception: 'UnauthorizedException' },
];

function fingerprint(result: HttpResult): unknown {
  const { date: _date, 'keep-alive': _keepAlive, ...headers } = result.headers;
  return { status: result.status, headers, body: result.body.toString() };
}

describe.each(ADAPTERS)('error paths on %s', (adapter) => {
  useEnv(DEBUG_ENV);
  let capture: StdoutCapture;
  beforeEach(() => {
    capture = new StdoutCapture().start();
  });
  afterEach(() => capture.stop());

  it('every layer: the response is unchanged and the exception is written once', async () => {
    const baseline = await startApp(layersModule(false), adapter);
    const expected: HttpResult[] = [];
    for (const { path } of CASES) expected.push(await send(baseline.url, { path }));
    await baseline.close();

    const running = await startApp(layersModule(true), adapter);
    try {
      for (const [index, { path, status }] of CASES.entries()) {
        const actual = await send(running.url, { path });
        expect(actual.status).toBe(status);
        expect(fingerprint(actual)).toEqual(fingerprint(expected[index]));
      }
      await waitFor(() => capture.rows().filter((row) => row.boundary === 'backend.response.complete').length === CASES.length, 'terminals');
      const traces = assertValidRows(capture.rows());
      for (const [index, trace] of [...traces.values()].entries()) {
        expect(trace[0].metadata.path).toBe(CASES[index].path);
        const errors = trace.filter((row) => row.boundary === 'backend.error.caught');
        expect(errors.map((row) => row.metadata.exception_type)).toEqual([CASES[index].exception]);
      }
    } finally {
      await running.close();
    }
  });
});
