import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from '@jest/globals';
import {
  CvdiagExceptionFilter,
  CvdiagInterceptor,
  CvdiagModule,
  CvdiagModuleOptions,
  CvdiagOptionsError,
  CvdiagRouteGuard,
  CvdiagService,
  SkipCvdiag,
  type CvdiagCorrelation,
  type CvdiagOptionsFactory,
} from 'nestjs-cvdiag';
import { ChatController, FakeLlmClient, ShowcaseAgent } from './fixtures/agent-app';

import { useApps, useCapture } from './support/harness';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { useEnv } from './support/env';
import { send } from './support/http-client';
import { ADAPTERS, waitFor } from './support/nest-app';

describe('invalid options fail at startup, naming the option and what it allows', () => {
  it.each([
    [{ tier: 'loud' }, /"tier" must be one of "default", "verbose", "debug"/],
    [{ slug: 'Not A Slug' }, /"slug" must be a string matching/],
    [{ enabled: 'yes' }, /"enabled" must be true, false or unset/],
    [{ heartbeatIntervalMs: -5 }, /"heartbeatIntervalMs" must be an integer from 1/],
    [{ adoptTestId: 1 }, /"adoptTestId" must be true or false/],
    [{ exclude: ['health'] }, /"exclude" must be an array of paths starting with "\/"/],
    [{ sinks: [{}] }, /"sinks" must be an array of objects with a write/],
    [{ tire: 'debug' }, /"tire" must be one of the known options/],
  ])('forRoot(%j)', (options, message) => {
    expect(() => CvdiagModule.forRoot(options as CvdiagModuleOptions)).toThrow(CvdiagOptionsError);
    expect(() => CvdiagModule.forRoot(options as CvdiagModuleOptions)).toThrow(message);
  });

  it('forRootAsync: the factory result is validated when the app starts', async () => {
    const compile = Test.createTestingModule({
      imports: [CvdiagModule.forRootAsync({ useFactory: () => ({ slug: 'BAD SLUG' }) })],
    }).compile();
    await expect(compile).rejects.toThrow(/"slug" must be a string matching/);
  });
});

@Injectable()
class SettingsService {
  readonly cvdiag: CvdiagModuleOptions = { enabled: true, tier: 'verbose', slug: 'from-config' };
}
@Module({ providers: [SettingsService], exports: [SettingsService] })
class SettingsModule {}

describe.each(ADAPTERS)('module registration on %s', (adapter) => {
  useEnv({ SHOWCASE_ENV: 'test' });
  const capture = useCapture();
  const apps = useApps();

  it('forRootAsync takes its options from an injected provider', async () => {
    @Module({
      imports: [
        CvdiagModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SettingsService],
          useFactory: (settings: SettingsService) => settings.cvdiag,
        }),
      ],
      controllers: [ChatController],
      providers: [ShowcaseAgent, FakeLlmClient],
    })
    class AsyncAppModule {}
    const running = await apps.start(AsyncAppModule, adapter);
    await send(running.url, { path: '/json' });
    await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.response.complete'), 'terminal');
    const rows = capture.rows();
    assertValidRows(rows, { tier: 'verbose' });
    expect(rows.map((row) => row.boundary)).toEqual(['backend.request.ingress', 'backend.response.complete']);
    expect(rows.every((row) => row.slug === 'from-config')).toBe(true);
  });

  it('forRootAsync({ useClass }) takes its options from a CvdiagOptionsFactory', async () => {
    @Injectable()
    class CvdiagSettings implements CvdiagOptionsFactory {
      createCvdiagOptions(): CvdiagModuleOptions {
        return { enabled: true, slug: 'from-class' };
      }
    }
    @Module({ imports: [CvdiagModule.forRootAsync({ useClass: CvdiagSettings })], controllers: [ChatController], providers: [ShowcaseAgent, FakeLlmClient] })
    class ClassOptionsModule {}
    const running = await apps.start(ClassOptionsModule, adapter);
    await send(running.url, { path: '/json' });
    await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.response.complete'), 'terminal');
    expect(capture.rows().every((row) => row.slug === 'from-class')).toBe(true);
  });

  it('looks for @SkipCvdiag per app: the app with a skipped route gets the guard, another app in the same process none', async () => {
    @Controller('quiet')
    class QuietController {
      @Get('health')
      @SkipCvdiag()
      health(): string {
        return 'ok';
      }
    }
    @Module({ imports: [CvdiagModule.forRoot({ enabled: true, tier: 'verbose', adoptTestId: true })], controllers: [QuietController, ChatController], providers: [ShowcaseAgent, FakeLlmClient] })
    class SkippingModule {}
    @Module({ imports: [CvdiagModule.forRoot({ enabled: true, tier: 'verbose', adoptTestId: true })], controllers: [ChatController], providers: [ShowcaseAgent, FakeLlmClient] })
    class PlainModule {}
    const skipping = await apps.start(SkippingModule, adapter);
    const plain = await apps.start(PlainModule, adapter);
    expect(skipping.app.get(ApplicationConfig).getGlobalGuards().map((guard) => guard.constructor)).toEqual([CvdiagRouteGuard]);
    expect(plain.app.get(ApplicationConfig).getGlobalGuards()).toEqual([]);

    expect((await send(skipping.url, { path: '/quiet/health', headers: { 'x-test-id': 'skipped-route' } })).status).toBe(200);
    expect((await send(plain.url, { path: '/json', headers: { 'x-test-id': 'plain-app' } })).status).toBe(200);
    await waitFor(() => capture.rowsOf('plain-app').some((row) => row.boundary === 'backend.response.complete'), 'terminal');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(capture.rowsOf('skipped-route')).toEqual([]);
    expect(capture.rowsOf('plain-app').map((row) => row.boundary)).toEqual(['backend.request.ingress', 'backend.response.complete']);
  });

  it('registerEnhancers: false registers no enhancer: only the ingress listener writes rows', async () => {
    @Module({ imports: [CvdiagModule.forRoot({ enabled: true, tier: 'verbose', registerEnhancers: false })], controllers: [ChatController], providers: [ShowcaseAgent, FakeLlmClient] })
    class BareModule {}
    const running = await apps.start(BareModule, adapter);
    const config = running.app.get(ApplicationConfig);
    expect(config.getGlobalFilters()).toEqual([]);
    expect(config.getGlobalInterceptors()).toEqual([]);
    expect((await send(running.url, { method: 'POST', path: '/boom', headers: { 'x-test-id': 'bare' } })).status).toBe(500);
    await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.response.complete'), 'terminal');
    // No interceptor saw the handler fail and no filter the exception, and no route was matched for the terminal row.
    const rows = capture.rows();
    assertValidRows(rows, { tier: 'verbose' });
    expect(rows.map((row) => row.boundary)).toEqual(['backend.request.ingress', 'backend.response.complete']);
    expect(rows[1]!.metadata).toMatchObject({ http_status: 500, route: null });
  });

  it.each([
    ['forRoot', CvdiagModule.forRoot({ enabled: true, tier: 'verbose', adoptTestId: true, registerEnhancers: false })],
    ['forRootAsync', CvdiagModule.forRootAsync({ registerEnhancers: false, useFactory: () => ({ enabled: true, tier: 'verbose' as const, adoptTestId: true }) })],
  ])('registerEnhancers: false (%s): the app registers the exported enhancers itself, where it wants them', async (_how, cvdiag) => {
    @Module({ imports: [cvdiag], controllers: [ChatController], providers: [ShowcaseAgent, FakeLlmClient] })
    class OrderedModule {}
    const running = await apps.start(OrderedModule, adapter, (app) => {
      app.useGlobalInterceptors(app.get(CvdiagInterceptor));
      app.useGlobalFilters(app.get(CvdiagExceptionFilter));
    });
    const config = running.app.get(ApplicationConfig);
    expect(config.getGlobalInterceptors().map((interceptor) => interceptor.constructor)).toEqual([CvdiagInterceptor]);
    expect(config.getGlobalFilters().map((filter) => filter.constructor)).toEqual([CvdiagExceptionFilter]);
    expect((await send(running.url, { method: 'POST', path: '/boom', headers: { 'x-test-id': 'ordered' } })).status).toBe(500);
    expect((await send(running.url, { path: '/guarded', headers: { 'x-test-id': 'ordered-guard' } })).status).toBe(403);
    await waitFor(() => capture.rows().filter((row) => row.boundary === 'backend.response.complete').length === 2, 'terminals');
    const rows = capture.rows();
    assertValidRows(rows, { tier: 'verbose', adoptedTestIds: true });
    const boom = capture.rowsOf('ordered');
    expect(boom.map((row) => row.boundary)).toEqual(['backend.request.ingress', 'backend.error.caught', 'backend.response.complete']);
    expect(boom[1]!.metadata.exception_type).toBe('RuntimeError');
    expect(boom[2]!.metadata).toMatchObject({ http_status: 500, route: '/boom' });
    // The guard's ForbiddenException reaches only a filter.
    expect(capture.rowsOf('ordered-guard').map((row) => row.boundary)).toEqual([
      'backend.request.ingress',
      'backend.error.caught',
      'backend.response.complete',
    ]);
  });

  it('CvdiagService.currentCorrelation() gives the ids and tier of the rows of the request it runs in, and nothing outside', async () => {
    @Controller()
    class WhoAmIController {
      constructor(private readonly cvdiag: CvdiagService) {}
      @Get('who')
      who(): CvdiagCorrelation | { none: true } {
        return this.cvdiag.currentCorrelation() ?? { none: true };
      }
    }
    @Module({ imports: [CvdiagModule.forRoot({ enabled: true, tier: 'verbose', slug: 'whoami' })], controllers: [WhoAmIController] })
    class WhoAmIModule {}
    const running = await apps.start(WhoAmIModule, adapter);
    const answer = await send(running.url, { path: '/who', headers: { 'x-aimock-context': 'probe/the-demo' } });
    await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.response.complete'), 'terminal');
    const terminal = capture.rows().find((row) => row.boundary === 'backend.response.complete')!;
    expect(JSON.parse(answer.body.toString('utf8'))).toEqual({ testId: terminal.test_id, traceId: terminal.trace_id, slug: 'probe', demo: 'the-demo', tier: 'verbose' });
    expect(running.app.get(CvdiagService).currentCorrelation()).toBeUndefined();
  });

  it('adds no global guard when no route uses @SkipCvdiag: requests skip Nest\'s guard pipeline', async () => {
    @Module({ imports: [CvdiagModule.forRoot({ enabled: true })], controllers: [ChatController], providers: [ShowcaseAgent, FakeLlmClient] })
    class NoSkipModule {}
    const running = await apps.start(NoSkipModule, adapter);
    expect(running.app.get(ApplicationConfig).getGlobalGuards()).toEqual([]);
    expect((await send(running.url, { path: '/guarded' })).status).toBe(403);
    await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.response.complete'), 'terminal');
    expect(capture.rows().map((row) => row.boundary)).toEqual(['backend.error.caught', 'backend.response.complete']);
  });

  it('imported twice, it still writes each row once', async () => {
    @Module({ imports: [CvdiagModule.forRoot({ enabled: true, tier: 'verbose' })] })
    class FeatureModule {}
    @Module({
      imports: [CvdiagModule.forRoot({ enabled: true, tier: 'verbose', slug: 'root' }), FeatureModule],
      controllers: [ChatController],
      providers: [ShowcaseAgent, FakeLlmClient],
    })
    class TwiceModule {}
    const running = await apps.start(TwiceModule, adapter);
    expect((await send(running.url, { method: 'POST', path: '/boom' })).status).toBe(500);
    await waitFor(() => capture.rows().some((row) => row.boundary === 'backend.response.complete'), 'terminal');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const rows = capture.rows();
    assertValidRows(rows, { tier: 'verbose' });
    expect(rows.map((row) => row.boundary)).toEqual([
      'backend.request.ingress',
      'backend.error.caught',
      'backend.response.complete',
    ]);
  });
});
