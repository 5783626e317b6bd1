/**
 * `import 'nestjs-cvdiag/testing/vitest'` in a test file or in Vitest's
 * `setupFiles`: registers the CVDIAG matchers on Vitest's `expect` and types them.
 */
import { expect } from 'vitest';
import { cvdiagMatchers, CvdiagMatchers } from './matchers.js';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends CvdiagMatchers<T> {}
}

expect.extend(cvdiagMatchers);
