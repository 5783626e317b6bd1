import type { ExecutionContext } from '@nestjs/common';
import { SKIP_CVDIAG_METADATA } from './skip-cvdiag.decorator.js';

/** Nest's own key for @Sse() routes (stable since Nest 7). */
const SSE_METADATA = '__sse__';

interface RouteFacts {
  skipped: boolean;
  sse: boolean;
}

/** Per handler: metadata never changes once the app runs, and reading it on every request is not free. */
const factsByHandler = new WeakMap<object, RouteFacts>();

function routeFacts(context: ExecutionContext): RouteFacts {
  const handler = context.getHandler();
  let facts = factsByHandler.get(handler);
  if (facts === undefined) {
    facts = {
      skipped:
        Reflect.getMetadata(SKIP_CVDIAG_METADATA, handler) === true ||
        Reflect.getMetadata(SKIP_CVDIAG_METADATA, context.getClass()) === true,
      sse: Reflect.getMetadata(SSE_METADATA, handler) === true,
    };
    factsByHandler.set(handler, facts);
  }
  return facts;
}

export function isSkippedRoute(context: ExecutionContext): boolean {
  return routeFacts(context).skipped;
}

export function isSseRoute(context: ExecutionContext): boolean {
  return routeFacts(context).sse;
}

/**
 * Whether any route of these controllers (Nest's DiscoveryService list) is
 * @SkipCvdiag, on its method or its controller: read once per app at startup.
 */
export function appHasSkippedRoutes(controllers: ReadonlyArray<{ metatype?: unknown }>): boolean {
  for (const { metatype } of controllers) {
    if (typeof metatype !== 'function') continue;
    if (Reflect.getMetadata(SKIP_CVDIAG_METADATA, metatype) === true) return true;
    for (let proto = metatype.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const member = Object.getOwnPropertyDescriptor(proto, name)?.value;
        if (typeof member === 'function' && Reflect.getMetadata(SKIP_CVDIAG_METADATA, member) === true) return true;
      }
    }
  }
  return false;
}
