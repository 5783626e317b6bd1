import {
  DynamicModule,
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationShutdown,
  OnModuleDestroy,
  OnModuleInit,
  Provider,
} from '@nestjs/common';
import { APP_INTERCEPTOR, ApplicationConfig, DiscoveryModule, DiscoveryService, HttpAdapterHost } from '@nestjs/core';
import {
  CVDIAG_ASYNC_OPTIONS_TYPE,
  CVDIAG_MODULE_OPTIONS,
  CVDIAG_OPTIONS_TYPE,
  CvdiagConfigurableModule,
  CvdiagModuleExtras,
} from './cvdiag.module-definition.js';
import { CvdiagService } from './cvdiag.service.js';
import { CvdiagExceptionFilter } from './enhancers/cvdiag-exception.filter.js';
import { CvdiagRouteGuard } from './enhancers/cvdiag-route.guard.js';
import { CvdiagInterceptor } from './enhancers/cvdiag.interceptor.js';
import { appHasSkippedRoutes } from './enhancers/route-metadata.js';
import { CvdiagModuleOptions } from './options/cvdiag-options.interface.js';
import { validateOptions } from './options/validate-options.js';
import { attachIngressListener } from './request/ingress.js';
import { CvdiagRuntime } from './runtime/cvdiag-runtime.js';
import { registerRuntime, unregisterRuntime } from './runtime/runtime-registry.js';

const SHUTDOWN_FLUSH_MS = 2000;

/** The module's own extras (see CvdiagModuleExtras), as decided by forRoot/forRootAsync. */
const CVDIAG_EXTRAS = Symbol('nestjs-cvdiag:module-extras');

const ENHANCERS = [CvdiagInterceptor, CvdiagExceptionFilter, CvdiagRouteGuard];

const CORE_PROVIDERS: Provider[] = [
  {
    provide: CvdiagRuntime,
    useFactory: (options: CvdiagModuleOptions) => new CvdiagRuntime(validateOptions(options)),
    inject: [CVDIAG_MODULE_OPTIONS],
  },
  CvdiagService,
  ...ENHANCERS,
];

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
    private readonly discovery: DiscoveryService,
    private readonly filter: CvdiagExceptionFilter,
    private readonly guard: CvdiagRouteGuard,
    @Inject(CVDIAG_EXTRAS) private readonly extras: Required<CvdiagModuleExtras>,
  ) {
    super();
  }

  static forRoot(options: typeof CVDIAG_OPTIONS_TYPE = {}): DynamicModule {
    const { registerEnhancers, ...moduleOptions } = options ?? {};
    validateOptions(moduleOptions); // fail at the call site, with its stack
    // `enabled: false` can never turn on (the option wins over the environment):
    // register nothing that runs per request, so the app pays nothing.
    const enhancers = registerEnhancers !== false && moduleOptions.enabled !== false;
    return withCvdiagProviders(super.forRoot(options), enhancers);
  }

  static forRootAsync(options: typeof CVDIAG_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withCvdiagProviders(super.forRootAsync(options), options.registerEnhancers !== false);
  }

  /**
   * Runs while the app initialises, after `app.useGlobalFilters()` /
   * `useGlobalGuards()` and before routes are built. Looks at this app's
   * controllers once for @SkipCvdiag, then (unless `registerEnhancers: false`):
   * - the filter goes last among global filters, so Nest offers it every
   *   exception first and it hands each on (see CvdiagExceptionFilter);
   * - the route guard goes first among global guards, and only when some route
   *   is skipped: it resolves skipped routes before the app's guards run, and
   *   without skipped routes it would have nothing to do but still cost every
   *   request Nest's guard pipeline.
   */
  configure(_consumer: MiddlewareConsumer): void {
    if (this.switchedOff) return;
    this.runtime.routesMaySkip = appHasSkippedRoutes(this.discovery.getControllers());
    if (!this.extras.registerEnhancers) return;
    const filterAdded = this.appConfig.getGlobalFilters().some((filter) => filter instanceof CvdiagExceptionFilter);
    if (!filterAdded) this.appConfig.addGlobalFilter(this.filter);
    if (!this.runtime.routesMaySkip) return;
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

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.emitter.flush(SHUTDOWN_FLUSH_MS);
  }

  /** `enabled: false`: the option always wins, so nothing needs to watch requests. */
  private get switchedOff(): boolean {
    return this.runtime.options.enabled === false;
  }
}

function withCvdiagProviders(definition: DynamicModule, registerEnhancers: boolean): DynamicModule {
  const extras: Required<CvdiagModuleExtras> = { registerEnhancers };
  return {
    ...definition,
    global: true,
    imports: [...(definition.imports ?? []), DiscoveryModule],
    providers: [
      ...(definition.providers ?? []),
      ...CORE_PROVIDERS,
      { provide: CVDIAG_EXTRAS, useValue: extras },
      ...(registerEnhancers ? [{ provide: APP_INTERCEPTOR, useExisting: CvdiagInterceptor }] : []),
    ],
    exports: [...(definition.exports ?? []), CvdiagService, ...ENHANCERS],
  };
}
