/**
 * `nestjs-cvdiag/otel`: CVDIAG requests as OpenTelemetry traces. Loads
 * `@opentelemetry/api` (an optional peer dependency); nothing of OpenTelemetry
 * is loaded unless this entry point is imported.
 */
export { CvdiagOtelSink, type CvdiagOtelLogger, type CvdiagOtelSinkOptions, type CvdiagOtelStats } from './otel-sink.js';
