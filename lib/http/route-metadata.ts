import type { ExecutionContext } from '@nestjs/common';
import { SKIP_CVDIAG_METADATA } from './skip-cvdiag.decorator';

/** Nest's own key for @Sse() routes (stable since Nest 7). */
const SSE_METADATA = '__sse__';

export function isSkippedRoute(context: ExecutionContext): boolean {
  return (
    Reflect.getMetadata(SKIP_CVDIAG_METADATA, context.getHandler()) === true ||
    Reflect.getMetadata(SKIP_CVDIAG_METADATA, context.getClass()) === true
  );
}

export function isSseRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(SSE_METADATA, context.getHandler()) === true;
}
