import { SetMetadata } from '@nestjs/common';

export const SKIP_CVDIAG_METADATA = 'cvdiag:skip';

/**
 * No CVDIAG rows for this route, or for every route of this controller.
 * For paths (health checks, metrics) prefer the `exclude` option: it is decided
 * at ingress, before any work, while this decorator is known only once Nest has
 * matched the route. When an app has routes with it (CvdiagModule looks at
 * startup), the ingress row of each request waits until its route is known.
 */
export function SkipCvdiag(): ClassDecorator & MethodDecorator {
  return SetMetadata(SKIP_CVDIAG_METADATA, true);
}
