/**
 * `import 'nestjs-cvdiag/testing/jest'` in a test file or in Jest's
 * `setupFilesAfterEnv`: registers the CVDIAG matchers on Jest's global
 * `expect` and types them for `@types/jest` and `@jest/globals`.
 */
import type {} from 'expect';
import { cvdiagMatchers, CvdiagMatchers } from './matchers.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Matchers<R> extends CvdiagMatchers<R> {}
  }
}

declare module 'expect' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Matchers<R extends void | Promise<void>, T = unknown> extends CvdiagMatchers<R> {}
}

const jestExpect = (globalThis as { expect?: { extend(matchers: object): void } }).expect;
if (!jestExpect) throw new Error("nestjs-cvdiag/testing/jest: no global expect; import it inside Jest, or call expect.extend(cvdiagMatchers) yourself");
jestExpect.extend(cvdiagMatchers);
