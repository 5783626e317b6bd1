import {
  ArgumentsHost,
  Catch,
  CanActivate,
  Controller,
  ExceptionFilter,
  ExecutionContext,
  Get,
  HttpException,
  HttpStatus,
  Injectable,
  INestApplication,
  Module,
  SetMetadata,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { APP_FILTER, ApplicationConfig, Reflector } from '@nestjs/core';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AgentEntry, CvdiagModule, CvdiagModuleOptions } from 'nestjs-cvdiag';
import { agentAppModule } from './fixtures/agent-app';
import { StdoutCapture } from './support/cvdiag-capture';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { DEBUG_ENV, useEnv } from './support/env';
import { HttpResult, send } from './support/http-client';
import { ADAPTERS, AdapterName, RunningApp, startApp, waitFor } from './support/nest-app';

class TeapotException extends HttpException {
  constructor() {
    super({ reason: 'short and stout', code: 'TEAPOT' }, HttpStatus.I_AM_A_TEAPOT);
  }
}

/** An app's own catch-all filter, with its own body shape and status. */
@Catch()
class AppCatchAllFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<{ status?: (code: number) => unknown; code?: (code: number) => unknown }>();
    const status = exception instanceof HttpException ? exception.getStatus() : 599;
    const body = { handledBy: 'AppCatchAllFilter', status };
    // Express `res.status().json()`, Fastify `reply.code().send()`
    const reply = response as unknown as Record<string, (...args: unknown[]) => unknown>;
    if (typeof reply.json === 'function') (reply.status(status) as typeof reply).json(body);
    else (reply.code(status) as typeof reply).send(body);
  }
}

@Catch(TeapotException)
class ControllerTeapotFilter implements ExceptionFilter {
  catch(_exception: TeapotException, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<Record<string, (...args: unknown[]) => unknown>>();
    const body = { handledBy: 'ControllerTeapotFilter' };
    if (typeof reply.json === 'function') (reply.status(409) as typeof reply).json(body);
    else (reply.code(409) as typeof reply).send(body);
  }
}

const ROLES = 'roles';
const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/** Allows only when the route's @Roles metadata includes the x-role header. */
@Injectable()
class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.get<string[] | undefined>(ROLES, context.getHandler());
    const role = context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-role'];
    return roles !== undefined && roles.includes(role);
  }
}

@Controller('behaviour')
class BehaviourController {
  @Get('teapot')
  teapot(): never {
    throw new TeapotException();
  }

  @Get('plain-error')
  plainError(): never {
    throw new Error('plain failure');
  }

  @Get('controller-filter')
  @UseFilters(ControllerTeapotFilter)
  controllerFilter(): never {
    throw new TeapotException();
  }

  /** @AgentEntry written above the route decorators… */
  @AgentEntry({ agentName: 'above' })
  @Get('admin-above')
  @Roles('admin')
  @UseGuards(RolesGuard)
  adminAbove(): { route: string } {
    return { route: 'admin-above' };
  }

  /** …and below them: metadata survives either way. */
  @Get('admin-below')
  @Roles('admin')
  @UseGuards(RolesGuard)
  @AgentEntry({ agentName: 'below' })
  adminBelow(): { route: string } {
    return { route: 'admin-below' };
  }
}

function behaviourModule(options: CvdiagModuleOptions | null, appFilterProvider = false) {
  @Module({
    imports: options === null ? [] : [CvdiagModule.forRoot(options)],
    controllers: [BehaviourController],
    providers: [RolesGuard, ...(appFilterProvider ? [{ provide: APP_FILTER, useClass: AppCatchAllFilter }] : [])],
  })
  class BehaviourModule {}
  return BehaviourModule;
}

const useGlobalCatchAll = (app: INestApplication) => {
  app.useGlobalFilters(new AppCatchAllFilter());
};

/** Status, headers (but Date and keep-alive timing) and body, for byte-for-byte comparison. */
function fingerprint(result: HttpResult): unknown {
  const { date: _date, 'keep-alive': _keepAlive, ...headers } = result.headers;
  return { status: result.status, headers, body: result.body.toString('base64') };
}

describe.each(ADAPTERS)('the app behaves the same with CVDIAG on %s', (adapter: AdapterName) => {
  let capture: StdoutCapture;
  const apps: RunningApp[] = [];
  beforeEach(() => {
    capture = new StdoutCapture().start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    capture.stop();
  });
  async function start(...args: Parameters<typeof startApp>): Promise<RunningApp> {
    const app = await startApp(...args);
    apps.push(app);
    return app;
  }

  /**
   * The answers of an app built without CvdiagModule, for comparison. It runs
   * alone and is closed before the instrumented app starts: decorated methods
   * of a module-less app would otherwise report through the running one.
   */
  async function answersWithout(module: Parameters<typeof startApp>[0], requests: Parameters<typeof send>[1][], setup?: Parameters<typeof startApp>[2]) {
    const baseline = await startApp(module, adapter, setup);
    try {
      const answers: HttpResult[] = [];
      for (const request of requests) answers.push(await send(baseline.url, request));
      return answers;
    } finally {
      await baseline.close();
    }
  }

  describe('emitter on', () => {
    useEnv(DEBUG_ENV);

    it.each([
      ['app.useGlobalFilters()', false],
      ['an APP_FILTER provider', true],
    ])('the app catch-all filter registered with %s still answers every error', async (_how, viaProvider) => {
      const setup = viaProvider ? undefined : useGlobalCatchAll;
      const requests = ['/behaviour/teapot', '/behaviour/plain-error', '/no-such-route', '/behaviour/admin-above'].map((path) => ({ path }));
      const expected = await answersWithout(behaviourModule(null, viaProvider), requests, setup);
      const withCvdiag = await start(behaviourModule({}, viaProvider), adapter, setup);
      for (const [index, request] of requests.entries()) {
        const actual = await send(withCvdiag.url, request);
        expect(fingerprint(actual)).toEqual(fingerprint(expected[index]));
        expect(JSON.parse(actual.body.toString()).handledBy).toBe('AppCatchAllFilter');
      }
      await waitFor(() => capture.rows().filter((row) => row.boundary === 'backend.response.complete').length === 4, 'terminals');
      const rows = capture.rows();
      assertValidRows(rows);
      expect(rows.filter((row) => row.boundary === 'backend.error.caught').map((row) => row.metadata.exception_type)).toEqual([
        'TeapotException',
        'Error',
        'NotFoundException',
        'ForbiddenException',
      ]);
    });

    it('HttpException status and body, controller filters and guards are unchanged', async () => {
      const cases: Array<{ path: string; headers?: Record<string, string> }> = [
        { path: '/behaviour/teapot' },
        { path: '/behaviour/plain-error' },
        { path: '/behaviour/controller-filter' },
        { path: '/behaviour/admin-above' },
        { path: '/behaviour/admin-below' },
        { path: '/behaviour/admin-above', headers: { 'x-role': 'admin' } },
        { path: '/behaviour/admin-below', headers: { 'x-role': 'admin' } },
      ];
      const expected = await answersWithout(behaviourModule(null), cases);
      const withCvdiag = await start(behaviourModule({}), adapter);
      const statuses: number[] = [];
      for (const [index, request] of cases.entries()) {
        const actual = await send(withCvdiag.url, request);
        expect(fingerprint(actual)).toEqual(fingerprint(expected[index]));
        statuses.push(actual.status);
      }
      // The guard still reads the route's metadata through the decorated handler.
      expect(statuses).toEqual([418, 500, 409, 403, 403, 200, 200]);
      await waitFor(() => capture.rows().filter((row) => row.boundary === 'backend.response.complete').length === cases.length, 'terminals');
      const rows = capture.rows();
      assertValidRows(rows);
      const agents = rows.filter((row) => row.boundary === 'backend.agent.enter').map((row) => row.metadata.agent_name);
      expect(agents).toEqual(['above', 'below']);
      // One error row per exception, including the one a controller filter answered.
      expect(rows.filter((row) => row.boundary === 'backend.error.caught')).toHaveLength(5);
    });
  });

  describe.each([
    ['off (environment)', { SHOWCASE_ENV: 'test' }, {}],
    ['off (enabled: false, even with CVDIAG_BACKEND_EMITTER=1)', DEBUG_ENV, { enabled: false }],
    ['on, at debug tier', DEBUG_ENV, {}],
  ] as Array<[string, Record<string, string>, CvdiagModuleOptions]>)('emitter %s', (state, env, options) => {
    useEnv(env);

    it('answers byte-for-byte like an app without the module (streams, errors, guards)', async () => {
      const cases = [
        { method: 'GET', path: '/json' },
        { method: 'POST', path: '/json', body: '{"a":1}', headers: { 'content-type': 'application/json' } },
        { method: 'GET', path: '/chat/sse?q=same' },
        { method: 'POST', path: '/chat/stream' },
        { method: 'POST', path: '/boom' },
        { method: 'GET', path: '/guarded' },
        { method: 'GET', path: '/missing' },
        { method: 'GET', path: '/answer' },
        { method: 'GET', path: '/behaviour/teapot' },
      ];
      const extra = { controllers: [BehaviourController], providers: [RolesGuard] };
      const expected = await answersWithout(agentAppModule(null, extra), cases);
      const withCvdiag = await start(agentAppModule(options, extra), adapter);
      for (const [index, request] of cases.entries()) {
        const actual = await send(withCvdiag.url, request);
        expect(fingerprint(actual)).toEqual(fingerprint(expected[index]));
      }
      if (state.startsWith('off')) expect(capture.rows()).toEqual([]);
      else assertValidRows(capture.rows());
      if (options.enabled === false) {
        // Switched off by the option: no global filter added, no enhancer registered.
        const filters = withCvdiag.app.get(ApplicationConfig).getGlobalFilters();
        expect(filters.some((filter) => filter.constructor.name === 'CvdiagExceptionFilter')).toBe(false);
        expect(withCvdiag.app.get(ApplicationConfig).getGlobalInterceptors()).toEqual([]);
      }
    });
  });
});
