import type { CorrelationContext } from '../context/correlation-context.js';
import { cvdiagStorage, CvdiagStore } from '../context/cvdiag-storage.js';
import { currentRuntime } from '../runtime/runtime-registry.js';
import { sliceCodePoints } from '../scrub/cut.js';
import { scrub } from '../scrub/scrub.js';
import { observeResult } from './observe-result.js';
import type { WorkTracker } from './work-tracker.js';

/** Starts the tracker for one call; `store` is the caller's scope. */
export type StartWork = (context: CorrelationContext, store: CvdiagStore, args: unknown[], self: unknown) => WorkTracker;

/**
 * A method decorator that wraps the method so each call is tracked by the
 * tracker `startWork` returns. The wrapper is a plain function returning what
 * the method returns (see `observeResult` for streams), and carries the
 * method's name, length and every reflect-metadata entry, whichever side of
 * other decorators it is written on.
 */
export function instrumentMethod(decoratorName: string, startWork: StartWork): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const original: unknown = descriptor.value;
    if (typeof original !== 'function') {
      throw new TypeError(`@${decoratorName}() can only decorate methods; ${describeTarget(target, propertyKey)} is not one.`);
    }
    const method = original as (...args: unknown[]) => unknown;
    const wrapped = function cvdiagInstrumented(this: unknown, ...args: unknown[]): unknown {
      const store = scopeForCall();
      // After the request's terminal row only late end rows may follow, so new work is not tracked.
      if (store === undefined || store.context === null || store.context.terminated) return method.apply(this, args);
      let work: WorkTracker;
      let inner: CvdiagStore;
      try {
        work = startWork(store.context, store, args, this);
        inner = { ...store, parentSpanId: work.spanId ?? store.parentSpanId, llmCall: llmTarget(work) ?? store.llmCall };
      } catch (error) {
        store.context.runtime.faults.warn('decorator', `@${decoratorName}() could not start tracking a call`, error);
        return method.apply(this, args);
      }
      let result: unknown;
      try {
        result = cvdiagStorage.run(inner, () => method.apply(this, args));
      } catch (error) {
        work.end({ kind: 'err', error });
        throw error;
      }
      try {
        return observeResult(result, work, inner);
      } catch (error) {
        store.context.runtime.faults.warn('decorator', `@${decoratorName}() could not observe a result`, error);
        return result;
      }
    };
    copyIdentity(method, wrapped);
    descriptor.value = wrapped as typeof descriptor.value;
    return descriptor;
  };
}

/**
 * The caller's scope: the request's, or, outside any request, a new detached
 * context when the emitter is on (one trace per outermost decorated call).
 * Undefined means: do nothing, call the method.
 */
function scopeForCall(): CvdiagStore | undefined {
  const store = cvdiagStorage.getStore();
  if (store !== undefined) return store;
  const runtime = currentRuntime();
  if (runtime === undefined || !runtime.isEnabled()) return undefined;
  return { context: runtime.detachedContext(), parentSpanId: null, llmCall: null };
}

function llmTarget(work: WorkTracker): CvdiagStore['llmCall'] | undefined {
  return 'recordUsage' in work ? (work as unknown as CvdiagStore['llmCall']) : undefined;
}

function copyIdentity(from: (...args: unknown[]) => unknown, to: (...args: unknown[]) => unknown): void {
  Object.defineProperty(to, 'name', { value: from.name, configurable: true });
  Object.defineProperty(to, 'length', { value: from.length, configurable: true });
  const reflect = Reflect as typeof Reflect & {
    getOwnMetadataKeys?: (target: object) => unknown[];
    getOwnMetadata?: (key: unknown, target: object) => unknown;
    defineMetadata?: (key: unknown, value: unknown, target: object) => void;
  };
  if (!reflect.getOwnMetadataKeys || !reflect.getOwnMetadata || !reflect.defineMetadata) return;
  for (const key of reflect.getOwnMetadataKeys(from)) {
    reflect.defineMetadata(key, reflect.getOwnMetadata(key, from), to);
  }
}

function describeTarget(target: object, propertyKey: string | symbol): string {
  const owner = typeof target === 'function' ? target.name : target.constructor?.name;
  return `${owner ?? 'class'}.${String(propertyKey)}`;
}

const MAX_OPTION_CHARS = 128;

/**
 * A decorator's string option as its rows carry it, cleaned once when the
 * method is decorated (scrubbed, then bounded), null when unset; anything
 * other than a string is refused at decoration, where the mistake is.
 */
export function cleanOption(decoratorName: string, option: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new TypeError(`@${decoratorName}() option "${option}" must be a string; received ${typeof value}.`);
  }
  return sliceCodePoints(scrub(value), MAX_OPTION_CHARS);
}
