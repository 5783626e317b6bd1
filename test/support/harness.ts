import { afterEach, beforeEach } from '@jest/globals';
import { StdoutCapture } from './cvdiag-capture';
import { RunningApp, startApp } from './nest-app';

/** One stdout capture for the enclosing describe: fresh and started for each test, stopped after it. */
export function useCapture(): StdoutCapture {
  const capture = new StdoutCapture();
  beforeEach(() => {
    capture.clear();
    capture.start();
  });
  afterEach(() => capture.stop());
  return capture;
}

/** Apps a test starts with `apps.start()` are closed after it, whatever happened. */
export function useApps(): { start: typeof startApp } {
  const open: RunningApp[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
  });
  return {
    start: async (...args) => {
      const app = await startApp(...args);
      open.push(app);
      return app;
    },
  };
}
