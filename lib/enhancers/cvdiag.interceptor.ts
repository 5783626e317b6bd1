import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { cvdiagStorage, CvdiagStore, SUPPRESSED_STORE } from '../context/cvdiag-storage.js';
import { lookupRaw, rawRequestOf, requestFor } from '../request/request-lookup.js';
import type { RequestState } from '../request/request-state.js';
import { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { watchHandlerResult } from './handler-result.js';
import { isSkippedRoute, isSseRoute } from './route-metadata.js';

/**
 * Runs the handler and its stream inside the request's CVDIAG context, and
 * records errors that reach Nest through the handler's Observable (handler and
 * pipe errors, and stream errors that no exception filter ever sees).
 */
@Injectable()
export class CvdiagInterceptor implements NestInterceptor {
  constructor(private readonly runtime: CvdiagRuntime) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    let state: RequestState | undefined;
    try {
      state = requestFor(this.runtime, context);
      if (state === undefined) {
        // An excluded path: decorated work in it must not report as work outside requests.
        const raw = rawRequestOf(context.switchToHttp().getRequest());
        return raw && lookupRaw(raw) === 'excluded' ? inStore(SUPPRESSED_STORE, next, () => undefined) : next.handle();
      }
      if (state.intercepted) return next.handle();
      state.intercepted = true;
      const skip = isSkippedRoute(context);
      state.routeMatched(context.switchToHttp().getRequest(), skip);
      if (skip) return inStore(SUPPRESSED_STORE, next, () => undefined);
      state.response.sseRoute = isSseRoute(context);
    } catch (error) {
      this.runtime.faults.warn('interceptor', 'request setup failed; the request is served uninstrumented', error);
      return next.handle();
    }
    return this.observe(state, next);
  }

  private watch(value: unknown, state: RequestState): unknown {
    try {
      return watchHandlerResult(value, state);
    } catch (error) {
      this.runtime.faults.warn('result', 'a handler result could not be watched', error);
      return value;
    }
  }

  private observe(state: RequestState, next: CallHandler): Observable<unknown> {
    const store: CvdiagStore = { context: state, parentSpanId: state.rootSpanId, llmCall: null };
    // @Sse() values are events, never streams: skip the checks on the hottest path.
    const onValue = state.response.sseRoute ? undefined : (value: unknown) => this.watch(value, state);
    return inStore(store, next, (error) => {
      try {
        state.recordError(error, true);
      } catch (fault) {
        this.runtime.faults.warn('error-row', 'an error row could not be written', fault);
      }
    }, onValue);
  }
}

/**
 * The handler's Observable, run in `store`: `handle()` captures the active store
 * for the handler, and the stream, which Nest subscribes later, is subscribed in
 * it too, so timers and callbacks of the stream see the request's context.
 */
function inStore(
  store: CvdiagStore,
  next: CallHandler,
  onError: (error: unknown) => void,
  mapValue?: (value: unknown) => unknown,
): Observable<unknown> {
  const source = cvdiagStorage.run(store, () => next.handle());
  return new Observable<unknown>((subscriber) =>
    cvdiagStorage.run(store, () =>
      source.subscribe({
        next: mapValue ? (value) => subscriber.next(mapValue(value)) : (value) => subscriber.next(value),
        error: (error: unknown) => {
          onError(error);
          subscriber.error(error);
        },
        complete: () => subscriber.complete(),
      }),
    ),
  );
}
