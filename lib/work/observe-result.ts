import { isObservable, Observable, Subject } from 'rxjs';
import { cvdiagStorage, CvdiagStore } from '../context/cvdiag-storage.js';
import { observeAsyncIterable } from './observe-async-iterable.js';
import type { WorkTracker } from './work-tracker.js';

/**
 * Ends `work` when the decorated method's result settles, keeping the result's
 * shape (docs/contract.md: instrumentation never changes what a method returns):
 * - native Promise: a Promise of the same outcome, derived with `then`, so a
 *   rejection the app leaves unhandled still surfaces as unhandled. When it
 *   resolves to a stream, the work goes on until that stream ends;
 * - Promise subclass or other thenable (SDK `APIPromise`, query builders): the
 *   same object; its own `then` is observed when the app calls it, so a lazy
 *   thenable is not started early;
 * - Observable: a cold Observable that subscribes to the original only when
 *   subscribed itself, in the call's context;
 * - async iterable (async generator, SDK stream, web stream): the same object,
 *   observed when iterated (see observe-async-iterable.ts);
 * - Node stream: the same stream, observed through its events;
 * - anything else (a value, a Subject): returned as is; the work ends now.
 */
export function observeResult(result: unknown, work: WorkTracker, store: CvdiagStore): unknown {
  if (isNativePromise(result)) {
    work.startTimers();
    return result.then(
      (value) => continueWith(value, work, store),
      (error: unknown) => {
        work.end({ kind: 'err', error });
        throw error;
      },
    );
  }
  if (isThenable(result) && observeThenable(result, work, store)) {
    work.startTimers();
    return result;
  }
  return continueWith(result, work, store);
}

/** A settled value: a stream keeps the work open until it ends; anything else ends it. */
function continueWith(value: unknown, work: WorkTracker, store: CvdiagStore): unknown {
  if (isObservable(value) && !(value instanceof Subject)) return observeObservable(value, work, store);
  if (isNodeStream(value)) {
    work.startTimers();
    observeNodeStream(value, work);
    return value;
  }
  if (isAsyncIterable(value)) return observeAsyncIterable(value, work, store);
  work.end({ kind: 'ok' });
  return value;
}

function isNativePromise(value: unknown): value is Promise<unknown> {
  // Exactly Promise: `await` reads no own `then` on these, and subclasses may be lazy.
  return value instanceof Promise && Object.getPrototypeOf(value) === Promise.prototype;
}

type Thenable = { then: (onFulfilled?: unknown, onRejected?: unknown) => unknown };

function isThenable(value: unknown): value is Thenable {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as Thenable).then === 'function';
}

/** Observes a thenable through an own `then` that forwards to the original. False if it cannot be patched. */
function observeThenable(thenable: Thenable, work: WorkTracker, store: CvdiagStore): boolean {
  const originalThen = thenable.then;
  const observedThen = function (this: unknown, onFulfilled?: unknown, onRejected?: unknown): unknown {
    return originalThen.call(
      this,
      (value: unknown) => {
        const settled = continueWith(value, work, store);
        return typeof onFulfilled === 'function' ? onFulfilled(settled) : settled;
      },
      (error: unknown) => {
        work.end({ kind: 'err', error });
        if (typeof onRejected === 'function') return onRejected(error);
        throw error;
      },
    );
  };
  try {
    Object.defineProperty(thenable, 'then', { value: observedThen, configurable: true, writable: true, enumerable: false });
    return true;
  } catch {
    return false; // frozen: treated as a plain value
  }
}

function observeObservable(source: Observable<unknown>, work: WorkTracker, store: CvdiagStore): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    work.startTimers();
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
  listenerCount(event: string): number;
  readableEnded?: boolean;
}

function isNodeStream(value: unknown): value is NodeStreamLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NodeStreamLike).pipe === 'function' &&
    typeof (value as NodeStreamLike).once === 'function' &&
    typeof (value as NodeStreamLike).listenerCount === 'function'
  );
}

/**
 * Listening for end/error/close does not start or pause a stream (only
 * 'data'/'readable' do). An 'error' nobody else listens to is rethrown, as
 * Node would have thrown it without this listener.
 */
function observeNodeStream(stream: NodeStreamLike, work: WorkTracker): void {
  stream.once('end', () => work.end({ kind: 'ok' }));
  stream.once('close', () => work.end(stream.readableEnded === false ? { kind: 'abandoned' } : { kind: 'ok' }));
  stream.once('error', (error: unknown) => {
    work.end({ kind: 'err', error });
    if (stream.listenerCount('error') === 0) throw error;
  });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}
