import { cvdiagStorage, CvdiagStore } from '../context/cvdiag-storage.js';
import type { WorkTracker } from './work-tracker.js';

type Step = IteratorResult<unknown>;
interface IteratorMethods {
  next(...args: [] | [unknown]): Promise<Step>;
  return?(value?: unknown): Promise<Step>;
  throw?(error?: unknown): Promise<Step>;
}

/**
 * Observes an async iterable in place, so the caller keeps its object with all
 * its members (an SDK stream's `abort()` or `finalMessage()`, a web stream's
 * `getReader()`): an async generator (or any iterator that is its own iterable)
 * gets observed own `next`/`return`/`throw`; any other iterable an own
 * `[Symbol.asyncIterator]` whose iterators are observed. Nothing is pulled until
 * the caller pulls. The work ends at the last step, an error, or an early
 * `return()` (abandoned); when the client leaves, the producer is returned.
 * An object that cannot be patched (frozen) is replaced by an equivalent
 * iterator.
 */
export function observeAsyncIterable(source: AsyncIterable<unknown>, work: WorkTracker, store: CvdiagStore): unknown {
  const tracker = new IterationTracker(work, store);
  try {
    if (typeof (source as unknown as IteratorMethods).next === 'function') {
      const own = source as unknown as IteratorMethods;
      const original: IteratorMethods = { next: own.next, return: own.return, throw: own.throw };
      const observed = tracker.observe(() => bindTo(original, source));
      for (const name of ['next', 'return', 'throw'] as const) {
        if (name === 'next' || original[name]) define(source, name, observed[name]);
      }
      return source;
    }
    const originalIterator = source[Symbol.asyncIterator];
    define(source, Symbol.asyncIterator, function (this: unknown) {
      const observed = tracker.observe(() =>
        cvdiagStorage.run(store, () => originalIterator.call(this) as unknown as IteratorMethods),
      );
      return { ...observed, [Symbol.asyncIterator]() { return this; } };
    });
    return source;
  } catch {
    const observed = tracker.observe(() => source[Symbol.asyncIterator]() as unknown as IteratorMethods);
    return { ...observed, [Symbol.asyncIterator]() { return this; } };
  }
}

/** The observation shared by every iterator of one decorated call's result. */
class IterationTracker {
  private stopped = false;
  private current?: IteratorMethods;

  constructor(
    private readonly work: WorkTracker,
    private readonly store: CvdiagStore,
  ) {
    // The client left: return the producer (e.g. the LLM stream) so nothing runs for nobody.
    work.stopProducer = () => {
      this.stopped = true;
      void this.current?.return?.().catch(() => undefined);
    };
  }

  /** Observed next/return/throw over the iterator `open` creates on first use. */
  observe(open: () => IteratorMethods): Required<IteratorMethods> {
    const { work, store } = this;
    let iterator: IteratorMethods | undefined;
    const pull = (): IteratorMethods => {
      if (!iterator) {
        iterator = open();
        this.current = iterator;
        work.startTimers();
      }
      return iterator;
    };
    const settle = async (step: () => Promise<Step>): Promise<Step> => {
      try {
        const result = await cvdiagStorage.run(store, step);
        if (result.done) work.end({ kind: 'ok' });
        return result;
      } catch (error) {
        work.end({ kind: 'err', error });
        throw error;
      }
    };
    return {
      next: (...args: [] | [unknown]) => {
        if (this.stopped) return Promise.resolve({ done: true, value: undefined });
        return settle(() => pull().next(...args));
      },
      return: async (value?: unknown) => {
        this.stopped = true;
        work.end({ kind: 'abandoned' });
        const returnStep = iterator?.return;
        return returnStep ? returnStep.call(iterator, value) : { done: true, value };
      },
      throw: async (error?: unknown) => {
        const throwStep = pull().throw;
        if (throwStep) return settle(() => throwStep.call(iterator, error));
        work.end({ kind: 'err', error });
        throw error;
      },
    };
  }
}

function bindTo(methods: IteratorMethods, target: unknown): IteratorMethods {
  return {
    next: (...args) => methods.next.apply(target, args),
    return: methods.return && ((value) => methods.return!.call(target, value)),
    throw: methods.throw && ((error) => methods.throw!.call(target, error)),
  };
}

function define(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, configurable: true, writable: true, enumerable: false });
}
