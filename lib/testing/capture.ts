import type { INestApplicationContext } from '@nestjs/common';
import { isSettled } from '../analysis/rows.js';
import { describeRows } from './describe-rows.js';
import type { CvdiagRow, CvdiagTier } from '../envelope/envelope.types.js';
import { CvdiagRuntime } from '../runtime/cvdiag-runtime.js';
import { CapturedRequest } from './captured-request.js';
import { readRowLine } from './captured-rows.js';

export interface CaptureOptions {
  /**
   * The tier of every request while attached. Default `debug`, allowed here
   * whatever the deployment label. With `passThrough`, the app's own sinks get
   * these rows too.
   */
  tier?: CvdiagTier;
  /** Whether the app's own sinks (stdout by default) still receive rows. Default true. */
  passThrough?: boolean;
}

/** Thrown when a capture cannot attach, or a request does not settle in time (with the timeline seen). */
export class CvdiagCaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CvdiagCaptureError';
  }
}

interface Waiter {
  testId: string;
  resolve(request: CapturedRequest): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Captures attached now, per runtime: one app has at most one. */
const attached = new WeakMap<CvdiagRuntime, CvdiagCapture>();

/**
 * The rows of one Nest application, in memory, for its e2e tests. Attach it to
 * the app `@nestjs/testing` built (before or after `app.init()`): while
 * attached, every request of that app is instrumented at the capture's tier,
 * whatever `CVDIAG_BACKEND_EMITTER` or the module's `tier` say, and nothing in
 * the app's module changes. Each app's capture sees only that app's rows.
 */
export class CvdiagCapture {
  private readonly captured: CvdiagRow[] = [];
  private readonly waiters = new Set<Waiter>();
  private detached = false;

  private constructor(private readonly runtime: CvdiagRuntime) {}

  static attach(app: INestApplicationContext, options: CaptureOptions = {}): CvdiagCapture {
    let runtime: CvdiagRuntime;
    try {
      runtime = app.get(CvdiagRuntime, { strict: false });
    } catch {
      throw new CvdiagCaptureError(
        'CvdiagCapture.attach: this app has no CvdiagModule. Import CvdiagModule.forRoot() (or forRootAsync) in its root module.',
      );
    }
    if (runtime.options.enabled === false) {
      throw new CvdiagCaptureError(
        'CvdiagCapture.attach: this app imports CvdiagModule with enabled: false, which registers nothing that runs per request. ' +
          'Leave enabled unset (CVDIAG_BACKEND_EMITTER then decides outside tests) to capture its rows.',
      );
    }
    if (attached.has(runtime)) throw new CvdiagCaptureError('CvdiagCapture.attach: a capture is already attached to this app; detach() it first.');
    const capture = new CvdiagCapture(runtime);
    attached.set(runtime, capture);
    runtime.setCapture({
      tier: options.tier ?? 'debug',
      passThrough: options.passThrough ?? true,
      sink: { write: (line) => capture.take(line) },
    });
    return capture;
  }

  /** Every row captured so far, oldest first. */
  rows(): CvdiagRow[] {
    return [...this.captured];
  }

  /** Forgets the rows captured so far (requests still waited for keep waiting). */
  clear(): void {
    this.captured.length = 0;
  }

  /**
   * Resolves once the requests of `testId` are settled: each has its terminal
   * row and no work of its still open (an `agent.exit` or `llm.call.response`
   * may come after the response ended). Rejects after `timeoutMs` (default
   * 5000) with the timeline of what was seen.
   */
  request(testId: string, options: { timeoutMs?: number } = {}): Promise<CapturedRequest> {
    if (this.detached) return Promise.reject(new CvdiagCaptureError('CvdiagCapture.request: the capture is detached'));
    const settled = this.settled(testId);
    if (settled) return Promise.resolve(settled);
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise<CapturedRequest>((resolve, reject) => {
      const waiter: Waiter = {
        testId,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new CvdiagCaptureError(this.timeoutMessage(testId, timeoutMs)));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Stops capturing and gives the app back its own settings. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.runtime.setCapture(null);
    attached.delete(this.runtime);
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new CvdiagCaptureError(`CvdiagCapture.request(${waiter.testId}): the capture was detached while waiting`));
    }
    this.waiters.clear();
  }

  private take(line: string): boolean {
    const row = readRowLine(line);
    if (!row) return true;
    this.captured.push(row);
    for (const waiter of this.waiters) {
      if (waiter.testId !== row.test_id) continue;
      const settled = this.settled(waiter.testId);
      if (!settled) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(settled);
    }
    return true;
  }

  private settled(testId: string): CapturedRequest | undefined {
    const rows = this.captured.filter((row) => row.test_id === testId);
    if (rows.length === 0) return undefined;
    const request = new CapturedRequest(testId, rows);
    return request.requests.every((trace) => isSettled(trace)) ? request : undefined;
  }

  private timeoutMessage(testId: string, timeoutMs: number): string {
    const rows = this.captured.filter((row) => row.test_id === testId);
    if (rows.length > 0) {
      return `CvdiagCapture.request(${testId}): not settled after ${timeoutMs} ms (a terminal row and every agent/LLM call ended). Seen:\n${describeRows(rows)}`;
    }
    const others = [...new Set(this.captured.map((row) => row.test_id))];
    return (
      `CvdiagCapture.request(${testId}): no rows for this test id after ${timeoutMs} ms. ` +
      (others.length > 0 ? `Rows were captured for ${others.length} other test id(s): ${others.slice(0, 5).join(', ')}. ` : 'No rows were captured at all. ') +
      'Send it as the x-test-id header (a UUIDv7, e.g. from newTestId()).'
    );
  }
}
