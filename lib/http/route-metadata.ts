import type { ExecutionContext } from '@nestjs/common';
import { scrub } from '../scrub/scrub.js';
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

const MAX_ROUTE_CHARS = 256;

/**
 * The matched route template with any global prefix (`/api/agent/:id`), read
 * from the request as Express (`req.route.path`) or Fastify
 * (`request.routeOptions.url`) hands it to enhancers; null when no route
 * matched (a 404). Scrubbed like every string of a row, then bounded.
 */
export function routeTemplateOf(request: unknown): string | null {
  try {
    if (typeof request !== 'object' || request === null) return null;
    const fastify = (request as { routeOptions?: { url?: unknown } }).routeOptions?.url;
    const express = (request as { route?: { path?: unknown } }).route?.path;
    const template = typeof fastify === 'string' ? fastify : typeof express === 'string' ? express : null;
    return template === null ? null : scrub(template).slice(0, MAX_ROUTE_CHARS);
  } catch {
    return null;
  }
}
