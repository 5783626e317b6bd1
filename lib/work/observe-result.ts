import { isObservable, Observable, Subject } from 'rxjs';
import { types } from 'node:util';
import { cvdiagStorage, CvdiagStore } from '../context/cvdiag-storage';
import type { WorkTracker } from './work-tracker';

/**
 * Ends `work` when the decorated method's result settles, and returns a result
 * of the same shape:
 * - a native Promise: the same Promise object (observed on a side branch that
 *   handles its own rejection, so the app's unhandled-rejection behaviour is
 *   unchanged);
 * - an Observable: a cold Observable that subscribes to the original only when
 *   subscribed itself (never early), in the call's context;
 * - an async iterable (async generator, plain async iterable): a lazy iterator
 *   with the same next/return/throw, that pulls from the original only when
 *   pulled;
 * - a Node stream: the same stream, observed through its end/error/close events;
 * - anything else (a value, a Subject, a custom thenable): returned as is, and
 *   the work ends now. Custom thenables are never `.then`-ed: some run on `then`.
 */
export function observeResult(result: unknown, work: WorkTracker, store: CvdiagStore): unknown {
  if (types.isPromise(result)) {
    result.then(
      () => work.end({ kind: 'ok' }),
      (error: unknown) => work.end({ kind: 'err', error }),
    );
    return result;
  }
  if (isObservable(result) && !(result instanceof Subject)) return observeObservable(result, work, store);
  if (isNodeStream(result)) {
    observeNodeStream(result, work);
    return result;
  }
  if (isAsyncIterable(result)) return observeAsyncIterable(result, work, store);
  work.end({ kind: 'ok' });
  return result;
}

function observeObservable(source: Observable<unknown>, work: WorkTracker, store: CvdiagStore): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const subscription = cvdiagStorage.run(store, () =>
      source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error: unknown) => {
          work.end({ kind: 'err', error });
          subscriber.error(error);
        },
        complete: () => {
          work.end({ kind: 'ok' });
          subscriber.complete();
        },
      }),
    );
    return () => {
      subscription.unsubscribe();
      // After complete or error this is a no-op: work ends once.
      work.end({ kind: 'abandoned' });
    };
  });
}

interface NodeStreamLike {
  pipe: unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  readableEnded?: boolean;
}

function isNodeStream(value: unknown): value is NodeStreamLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NodeStreamLike).pipe === 'function' &&
    typeof (value as NodeStreamLike).once === 'function'
  );
}

/** Listening for end/error/close does not start or pause the stream (only 'data'/'readable' do). */
function observeNodeStream(stream: NodeStreamLike, work: WorkTracker): void {
  stream.once('end', () => work.end({ kind: 'ok' }));
  stream.once('error', (error: unknown) => work.end({ kind: 'err', error }));
  stream.once('close', () => work.end(stream.readableEnded === false ? { kind: 'abandoned' } : { kind: 'ok' }));
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

function observeAsyncIterable(
  source: AsyncIterable<unknown>,
  work: WorkTracker,
  store: CvdiagStore,
): AsyncIterableIterator<unknown> {
  let iterator: AsyncIterator<unknown> | undefined;
  let stopped = false;
  const pull = (): AsyncIterator<unknown> =>
    (iterator ??= cvdiagStorage.run(store, () => source[Symbol.asyncIterator]()));
  const finish = async (value?: unknown): Promise<IteratorResult<unknown>> => {
    const current = iterator;
    work.end({ kind: 'abandoned' });
    if (current?.return) return current.return(value);
    return { done: true, value };
  };
  // The client left: end the producer (e.g. the LLM stream) so nothing runs for nobody.
  work.stopProducer = () => {
    stopped = true;
    finish().catch(() => undefined);
  };

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(...args: [] | [unknown]) {
      if (stopped) return { done: true, value: undefined };
      try {
        const step = await cvdiagStorage.run(store, () => pull().next(...args));
        if (step.done) work.end({ kind: 'ok' });
        return step;
      } catch (error) {
        work.end({ kind: 'err', error });
        throw error;
      }
    },
    async return(value?: unknown) {
      stopped = true;
      return finish(value);
    },
    async throw(error?: unknown) {
      const current = iterator;
      if (current?.throw) {
        try {
          const step = await cvdiagStorage.run(store, () => current.throw!(error));
          if (step.done) work.end({ kind: 'ok' });
          return step;
        } catch (thrown) {
          work.end({ kind: 'err', error: thrown });
          throw thrown;
        }
      }
      work.end({ kind: 'err', error });
      throw error;
    },
  };
}
