import { Logger } from '@nestjs/common';

const QUIET_PERIOD_MS = 60_000;

/**
 * Instrumentation failures are logged, never thrown: at most one line per kind
 * of fault a minute, with the number of repeats that were held back.
 */
export class FaultLog {
  private readonly logger = new Logger('CvdiagModule');
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  warn(kind: string, message: string, error?: unknown): void {
    try {
      const now = Date.now();
      const entry = this.lastLogged.get(kind);
      if (entry && now - entry.at < QUIET_PERIOD_MS) {
        entry.suppressed++;
        return;
      }
      const repeats = entry?.suppressed ? ` (${entry.suppressed} more since last report)` : '';
      this.lastLogged.set(kind, { at: now, suppressed: 0 });
      const detail = error instanceof Error ? `: ${error.name}` : '';
      this.logger.warn(`${message}${detail}${repeats}`);
    } catch {
      // Logging itself failed: there is nowhere left to report it.
    }
  }
}
