import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps what it is given, for asserting on warnings. */
export class CaptureLogger implements LoggerService {
  readonly warnings: string[] = [];
  readonly errors: string[] = [];
  log(): void {}
  debug(): void {}
  verbose(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
  error(message: unknown): void {
    this.errors.push(String(message));
  }
}
