import { ArgumentsHost, Catch, ExceptionFilter, Injectable } from '@nestjs/common';
import { ApplicationConfig, BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { requestFor } from '../request/request-lookup.js';
import { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';

/** Nest's own metadata key for `@Catch(...)` types (stable since Nest 6). */
const FILTER_CATCH_EXCEPTIONS = '__filterCatchExceptions__';

/**
 * Records `backend.error.caught` for exceptions only a filter sees (middleware,
 * guards, unknown routes), then hands the exception to exactly the filter that
 * would have handled it without CVDIAG: the next matching global filter, else
 * Nest's built-in one. It is appended as the last global filter when the app
 * starts (see CvdiagModule), so it is the global filter Nest picks first, and
 * the app's own filters keep producing the response. Controller and method
 * filters still win over it, as they win over every global filter.
 */
@Catch()
@Injectable()
export class CvdiagExceptionFilter implements ExceptionFilter {
  private builtIn?: BaseExceptionFilter;

  constructor(
    private readonly runtime: CvdiagRuntime,
    private readonly appConfig: ApplicationConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): unknown {
    try {
      requestFor(this.runtime, host)?.recordError(exception, true);
    } catch (error) {
      this.runtime.faults.warn('filter', 'an error row could not be written', error);
    }
    const delegate = this.nextFilterFor(exception);
    if (delegate) return delegate.catch(exception, host);
    // Global filters also reach RPC handlers of hybrid apps (inheritAppConfig) and
    // external contexts such as GraphQL resolvers. There, a filter result of
    // `undefined` means "not handled" and Nest applies its own default.
    if (host.getType() !== 'http') return undefined;
    this.builtIn ??= new BaseExceptionFilter(this.adapterHost.httpAdapter);
    return this.builtIn.catch(exception, host);
  }

  /** The global filter Nest would select if this one were not registered. */
  private nextFilterFor(exception: unknown): ExceptionFilter | undefined {
    const globals = this.appConfig.getGlobalFilters();
    const own = globals.indexOf(this);
    const earlier = own < 0 ? globals : globals.slice(0, own);
    for (let index = earlier.length - 1; index >= 0; index--) {
      const filter = earlier[index];
      if (filter instanceof CvdiagExceptionFilter || typeof filter?.catch !== 'function') continue;
      if (catches(filter, exception)) return filter;
    }
    return undefined;
  }
}

function catches(filter: ExceptionFilter, exception: unknown): boolean {
  const types: unknown =
    Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, Object.getPrototypeOf(filter)) ??
    Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, filter.constructor) ??
    [];
  if (!Array.isArray(types) || types.length === 0) return true;
  return types.some((type) => typeof type === 'function' && exception instanceof type);
}
