/**
 * OpenTelemetry for the `default-otel` and `otel-http` servers: an SDK whose
 * batch processor hands spans to an exporter that discards them, so what is
 * measured is the spans' making and batching, not a backend.
 */
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
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
