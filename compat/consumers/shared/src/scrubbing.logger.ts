import { ConsoleLogger } from '@nestjs/common';
import { scrub } from 'nestjs-cvdiag';

/**
 * Nest's console logger with what it prints scrubbed like CVDIAG's rows. Nest
 * logs an unhandled exception with its message and stack as they are, next to
 * the row that hides the secret in them. Use it when the app is created:
 * `NestFactory.create(AppModule, { logger: new ScrubbingLogger() })`.
 */
export class ScrubbingLogger extends ConsoleLogger {
  override log(message: unknown, ...rest: unknown[]): void {
    super.log(scrubbed(message), ...rest.map(scrubbed));
  }

  override warn(message: unknown, ...rest: unknown[]): void {
    super.warn(scrubbed(message), ...rest.map(scrubbed));
  }

  override error(message: unknown, ...rest: unknown[]): void {
    super.error(scrubbed(message), ...rest.map(scrubbed));
  }

  override fatal(message: unknown, ...rest: unknown[]): void {
    super.fatal(scrubbed(message), ...rest.map(scrubbed));
  }
}

/** Strings scrubbed line by line (a stack keeps its lines); an error as a scrubbed copy (the app's error is left alone). */
function scrubbed(value: unknown): unknown {
  if (typeof value === 'string') return value.split('\n').map((line) => scrub(line)).join('\n');
  if (value instanceof Error) {
    const copy = new Error(scrubbed(value.message) as string);
    copy.name = scrub(value.name);
    copy.stack = value.stack === undefined ? undefined : (scrubbed(value.stack) as string);
    return copy;
  }
  return value;
}
