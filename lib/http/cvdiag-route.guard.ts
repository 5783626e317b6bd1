import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { isSkippedRoute } from './route-metadata.js';
import { requestStateFor } from './request-for-context.js';

/**
 * Always allows. Registered as a global guard so the route is known before the
 * app's own guards run: a request that a later guard rejects still has its
 * ingress row written first, and a @SkipCvdiag route writes nothing at all.
 */
@Injectable()
export class CvdiagRouteGuard implements CanActivate {
  constructor(private readonly runtime: CvdiagRuntime) {}

  canActivate(context: ExecutionContext): boolean {
    try {
      requestStateFor(this.runtime, context)?.routeResolved(isSkippedRoute(context));
    } catch (error) {
      this.runtime.faults.warn('guard', 'route resolution failed; the request is served normally', error);
    }
    return true;
  }
}
