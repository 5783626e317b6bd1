import { SetMetadata } from '@nestjs/common';
import { processGlobals } from '../process-globals.js';

export const SKIP_CVDIAG_METADATA = 'cvdiag:skip';

/**
 * No CVDIAG rows for this route, or for every route of this controller.
 * For paths (health checks, metrics) prefer the `exclude` option: it is decided
 * at ingress, before any work, while this decorator is known only once Nest has
 * matched the route.
 */
export function SkipCvdiag(): ClassDecorator & MethodDecorator {
  processGlobals.skipDecoratorsApplied++;
  return SetMetadata(SKIP_CVDIAG_METADATA, true);
}

/**
 * Whether any route may be skipped. Only then is the ingress row held until the
 * route is known; apps that never use @SkipCvdiag write it immediately.
 */
export function isSkipDecoratorInUse(): boolean {
  return processGlobals.skipDecoratorsApplied > 0;
}
