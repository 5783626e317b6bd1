import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { cvdiagStorage, CvdiagStore, SUPPRESSED_STORE } from '../context/cvdiag-storage';
import { CvdiagRuntime } from '../runtime/cvdiag-runtime';
import { watchHandlerResult } from './handler-result';
import { requestStateFor } from './request-for-context';
import type { RequestState } from './request-state';
import { isSkippedRoute, isSseRoute } from './route-metadata';

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
      state = requestStateFor(this.runtime, context);
      if (state === undefined || state.intercepted) return next.handle();
      state.intercepted = true;
      const skip = isSkippedRoute(context);
      state.routeResolved(skip);
      if (skip) return cvdiagStorage.run(SUPPRESSED_STORE, () => next.handle());
      state.sseRoute = isSseRoute(context);
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
    // `handle()` captures the active store for the handler; the stream itself is
    // subscribed later by Nest, so its subscription is entered into the store too.
    const source = cvdiagStorage.run(store, () => next.handle());
    return new Observable<unknown>((subscriber) =>
      cvdiagStorage.run(store, () =>
        source.subscribe({
          // @Sse() values are events, never streams: skip the checks on the hottest path.
          next: state.sseRoute ? (value) => subscriber.next(value) : (value) => subscriber.next(this.watch(value, state)),
          error: (error: unknown) => {
            try {
              state.recordError(error, true);
            } catch (fault) {
              this.runtime.faults.warn('error-row', 'an error row could not be written', fault);
            }
            subscriber.error(error);
          },
          complete: () => subscriber.complete(),
        }),
      ),
    );
  }
}
