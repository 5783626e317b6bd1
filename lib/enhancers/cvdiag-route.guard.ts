import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { requestFor } from '../request/request-lookup.js';
import { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { isSkippedRoute } from './route-metadata.js';

/**
 * Always allows. Registered first among global guards, and only when some
 * route of the app is @SkipCvdiag, so the route is known before the app's own
 * guards run: a request that a later guard rejects still has its ingress row
 * written first, and a @SkipCvdiag route writes nothing at all.
 */
@Injectable()
export class CvdiagRouteGuard implements CanActivate {
  constructor(private readonly runtime: CvdiagRuntime) {}

  canActivate(context: ExecutionContext): boolean {
    try {
      requestFor(this.runtime, context)?.routeMatched(context.switchToHttp().getRequest(), isSkippedRoute(context));
    } catch (error) {
      this.runtime.faults.warn('guard', 'route resolution failed; the request is served normally', error);
    }
    return true;
  }
}
