/**
 * OpenTelemetry for the `default-otel`, `otel-http` and `otel` servers: an SDK
 * whose batch processor hands spans to an exporter that keeps nothing (or, for
 * `otel`, to the SDK's in-memory exporter, emptied now and then so memory stays
 * flat), so what is measured is the spans' making and batching, not a backend.
 */
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';

class DiscardingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

/** A tracer for CVDIAG's bridge (`default-otel`): no instrumentation, no global registration. */
export function bridgeTracerProvider(): BasicTracerProvider {
  return new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DiscardingExporter())] });
}

/**
 * OpenTelemetry's own HTTP instrumentation (`otel-http`), registered before
 * anything loads `http` (this file is preloaded with `--require`). The Nest
 * instrumentation (`@opentelemetry/instrumentation-nestjs-core`) is not used:
 * it does not instrument Nest 12, so on Nest 12 apps get HTTP spans only.
 */
export function registerOtelHttp(): void {
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DiscardingExporter())] });
  provider.register();
  registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
}

/** Spans the in-memory exporter may hold before it is emptied. */
const IN_MEMORY_SPAN_LIMIT = 10_000;

/** Spans kept in memory, as a test would read them, emptied past IN_MEMORY_SPAN_LIMIT. */
class BoundedInMemoryExporter extends InMemorySpanExporter {
  override export(spans: ReadableSpan[], done: (result: { code: 0 }) => void): void {
    if (this.getFinishedSpans().length > IN_MEMORY_SPAN_LIMIT) this.reset();
    super.export(spans, done as never);
  }
}

/**
 * The `otel` reference: `sdk-trace-node` with `instrumentation-http` and
 * `instrumentation-nestjs-core`, a batch processor and the in-memory exporter.
 */
export function registerOtelFull(): void {
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new BoundedInMemoryExporter())] });
  provider.register();
  registerInstrumentations({ instrumentations: [new HttpInstrumentation(), new NestInstrumentation()] });
}
