import { Injectable, Module } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from '@jest/globals';
import { CvdiagModule, CvdiagModuleOptions, CvdiagOptionsError, type CvdiagOptionsFactory } from 'nestjs-cvdiag';
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

  it('adds no global guard when no route uses @SkipCvdiag (this file has none): requests skip Nest\'s guard pipeline', async () => {
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
