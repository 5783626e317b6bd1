import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationShutdown,
  OnModuleDestroy,
  OnModuleInit,
  Provider,
} from '@nestjs/common';
import { APP_INTERCEPTOR, ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import {
  CVDIAG_ASYNC_OPTIONS_TYPE,
  CVDIAG_MODULE_OPTIONS,
  CVDIAG_OPTIONS_TYPE,
  CvdiagConfigurableModule,
} from './cvdiag.module-definition.js';
import { CvdiagService } from './cvdiag.service.js';
import { CvdiagExceptionFilter } from './http/cvdiag-exception.filter.js';
import { CvdiagRouteGuard } from './http/cvdiag-route.guard.js';
import { CvdiagInterceptor } from './http/cvdiag.interceptor.js';
import { attachIngressListener } from './http/ingress-listener.js';
import { isSkipDecoratorInUse } from './http/skip-cvdiag.decorator.js';
import { CvdiagModuleOptions } from './options/cvdiag-options.interface.js';
import { validateOptions } from './options/validate-options.js';
import { CvdiagRuntime } from './runtime/cvdiag-runtime.js';
import { registerRuntime, unregisterRuntime } from './runtime/runtime-registry.js';

const SHUTDOWN_FLUSH_MS = 2000;

const CORE_PROVIDERS: Provider[] = [
  {
    provide: CvdiagRuntime,
    useFactory: (options: CvdiagModuleOptions) => new CvdiagRuntime(validateOptions(options)),
    inject: [CVDIAG_MODULE_OPTIONS],
  },
  CvdiagService,
  CvdiagExceptionFilter,
  CvdiagRouteGuard,
];

/** What makes Nest run an enhancer pipeline on every request: left out when the module is switched off. */
const REQUEST_PROVIDERS: Provider[] = [{ provide: APP_INTERCEPTOR, useClass: CvdiagInterceptor }];

/**
 * Import once, in the root module: `CvdiagModule.forRoot()` or
 * `CvdiagModule.forRootAsync({...})`. Global. Off unless `enabled: true` or
 * `CVDIAG_BACKEND_EMITTER=1`.
 */
@Module({})
export class CvdiagModule
  extends CvdiagConfigurableModule
  implements NestModule, OnModuleInit, OnModuleDestroy, OnApplicationShutdown
{
  private detachIngress?: () => void;

  constructor(
    private readonly runtime: CvdiagRuntime,
    private readonly adapterHost: HttpAdapterHost,
    private readonly appConfig: ApplicationConfig,
    private readonly filter: CvdiagExceptionFilter,
    private readonly guard: CvdiagRouteGuard,
  ) {
    super();
  }

  static forRoot(options: typeof CVDIAG_OPTIONS_TYPE = {}): DynamicModule {
    validateOptions(options); // fail at the call site, with its stack
    // `enabled: false` can never turn on (the option wins over the environment):
    // register nothing that runs per request, so the app pays nothing.
    return withCvdiagProviders(super.forRoot(options), options.enabled !== false);
  }

  static forRootAsync(options: typeof CVDIAG_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withCvdiagProviders(super.forRootAsync(options), true);
  }

  /**
   * Runs while the app initialises, after `app.useGlobalFilters()` /
   * `useGlobalGuards()` and before routes are built:
   * - the filter goes last among global filters, so Nest offers it every
   *   exception first and it hands each on (see CvdiagExceptionFilter);
   * - the route guard goes first among global guards, and only when some route
   *   uses @SkipCvdiag (decorators run when their classes are defined, at import,
   *   so by now): it is what resolves skipped routes before the app's guards
   *   run, and without skipped routes it would have nothing to do but still
   *   cost every request Nest's guard pipeline.
   */
  configure(_consumer: MiddlewareConsumer): void {
    if (this.switchedOff) return;
    const filterAdded = this.appConfig.getGlobalFilters().some((filter) => filter instanceof CvdiagExceptionFilter);
    if (!filterAdded) this.appConfig.addGlobalFilter(this.filter);
    if (!isSkipDecoratorInUse()) return;
    // ApplicationConfig only appends; its list is live, so put the guard first in it.
    const guards = this.appConfig.getGlobalGuards();
    if (!guards.some((guard) => guard instanceof CvdiagRouteGuard)) guards.unshift(this.guard);
  }

  onModuleInit(): void {
    registerRuntime(this.runtime);
    if (this.switchedOff) return;
    const server = this.adapterHost.httpAdapter?.getHttpServer?.();
    this.detachIngress = attachIngressListener(server, this.runtime);
  }

  onModuleDestroy(): void {
    this.detachIngress?.();
    this.detachIngress = undefined;
    unregisterRuntime(this.runtime);
    this.runtime.endDetachedWork();
  }

  /** `enabled: false`: the option always wins, so nothing needs to watch requests. */
  private get switchedOff(): boolean {
    return this.runtime.options.enabled === false;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.emitter.flush(SHUTDOWN_FLUSH_MS);
  }
}

function withCvdiagProviders(definition: DynamicModule, watchRequests: boolean): DynamicModule {
  return {
    ...definition,
    global: true,
    providers: [...(definition.providers ?? []), ...CORE_PROVIDERS, ...(watchRequests ? REQUEST_PROVIDERS : [])],
    exports: [...(definition.exports ?? []), CvdiagService],
  };
}
