import { processGlobals } from '../process-globals.js';
import type { CvdiagRuntime } from './cvdiag-runtime.js';

/**
 * Decorators are not created by DI, so work called outside any request finds
 * its settings here: the runtime of the most recently started application that
 * is still running. Inside a request, the request's own runtime is used.
 */
const running = processGlobals.runtimes;

export function registerRuntime(runtime: CvdiagRuntime): void {
  if (!running.includes(runtime)) running.push(runtime);
}

export function unregisterRuntime(runtime: CvdiagRuntime): void {
  const index = running.indexOf(runtime);
  if (index >= 0) running.splice(index, 1);
}

export function currentRuntime(): CvdiagRuntime | undefined {
  return running[running.length - 1];
}
