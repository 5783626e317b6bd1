/**
 * Cost of cutting a response body into events and typing them, per event: one
 * 200-byte AG-UI event written as one `data:` line, fed as the raw response
 * sees it. `cvdiag` is the library's StreamEventParser (bytes in, typed events
 * with their byte size out; a string write includes its conversion to bytes).
 * `eventsource-parser` is the well-known npm parser doing the same job the way
 * it can: strings in, the event's whole data out, JSON.parse for its type, and
 * no byte size of the event (which the library needs for `payload_size_bytes`).
 * Interleaved batch by batch in one child process.
 */
import { createParser } from 'eventsource-parser';
import { StreamEvent, StreamEventParser } from '../lib/response/stream-events';
import { runAsChild } from './child';
import { median, quantile } from './stats';

export type ParseVariant =
  | 'cvdiag, debug tier (Buffer write)'
  | 'cvdiag, debug tier (string write)'
  | 'cvdiag, default tier (Buffer write)'
  | 'cvdiag, default tier (string write)'
  | 'eventsource-parser + JSON.parse';

/** Events per request in the default-tier variants: the last one is typed at the end, as a terminal row does. */
const EVENTS_PER_REQUEST = 20;

export interface ParseResult {
  variant: ParseVariant;
  eventBytes: number;
  /** Per event, from batch means, ns. */
  medianNs: number;
  p99Ns: number;
  events: number;
}

export interface ParseConfig {
  batchSize: number;
  batches: number;
  warmupBatches: number;
}

/** An AG-UI TEXT_MESSAGE_CONTENT event of about 200 bytes on the wire. */
export function aguiEvent(): string {
  const base = { type: 'TEXT_MESSAGE_CONTENT', messageId: 'msg_01J9ZQ4V6X3Y8B2N5K7M', delta: '' };
  const shell = `data: ${JSON.stringify(base)}\n\n`;
  return `data: ${JSON.stringify({ ...base, delta: 'x'.repeat(200 - Buffer.byteLength(shell)) })}\n\n`;
}

async function measure(config: ParseConfig): Promise<ParseResult[]> {
  const text = aguiEvent();
  const bytes = Buffer.from(text);
  let sink = 0;
  // Debug tier types every event; default tier types only what may be an error, and the last event at the end.
  const typed = new StreamEventParser('sse', true);
  const lazyFromBuffers = new StreamEventParser('sse', false);
  const lazyFromStrings = new StreamEventParser('sse', false);
  const onEvent = (event: StreamEvent) => {
    sink += event.bytes + (event.type?.length ?? 1);
  };
  const defaultTier = (n: number, lazy: StreamEventParser, chunk: string | Buffer) => {
    for (let i = 0; i < n; i++) {
      lazy.write(chunk, undefined, bytes.length, onEvent);
      if (i % EVENTS_PER_REQUEST === EVENTS_PER_REQUEST - 1) sink += lazy.typeOfLast().length;
    }
  };
  const library = createParser({
    onEvent: (event) => {
      sink += (JSON.parse(event.data) as { type: string }).type.length;
    },
  });
  const variants: Array<{ variant: ParseVariant; run: (n: number) => void; samples: number[] }> = [
    { variant: 'cvdiag, debug tier (Buffer write)', run: (n) => { for (let i = 0; i < n; i++) typed.write(bytes, undefined, bytes.length, onEvent); }, samples: [] },
    { variant: 'cvdiag, debug tier (string write)', run: (n) => { for (let i = 0; i < n; i++) typed.write(text, undefined, bytes.length, onEvent); }, samples: [] },
    { variant: 'cvdiag, default tier (Buffer write)', run: (n) => defaultTier(n, lazyFromBuffers, bytes), samples: [] },
    { variant: 'cvdiag, default tier (string write)', run: (n) => defaultTier(n, lazyFromStrings, text), samples: [] },
    { variant: 'eventsource-parser + JSON.parse', run: (n) => { for (let i = 0; i < n; i++) library.feed(text); }, samples: [] },
  ];
  for (let batch = 0; batch < config.warmupBatches + config.batches; batch++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(batch + k) % variants.length];
      const started = process.hrtime.bigint();
      variant.run(config.batchSize);
      const ns = Number(process.hrtime.bigint() - started) / config.batchSize;
      if (batch >= config.warmupBatches) variant.samples.push(ns);
    }
  }
  if (sink === 0) throw new Error('no events parsed');
  return variants.map(({ variant, samples }) => ({
    variant,
    eventBytes: bytes.length,
    medianNs: median(samples),
    p99Ns: quantile(samples, 0.99),
    events: samples.length * config.batchSize,
  }));
}

if (require.main === module) runAsChild(measure);
