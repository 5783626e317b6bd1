import type { INestApplication } from '@nestjs/common';
import { createParser } from 'eventsource-parser';
import { ClientRequest, IncomingHttpHeaders, IncomingMessage, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newTestId } from './test-id.js';

/** Where a request goes: a Nest app (it is made to listen on loopback if it does not yet), or a base URL. */
export type RequestTarget = INestApplication | string;

export interface TestRequest {
  /** Path with query string: `/agent/run?x=1`. */
  path: string;
  /** Default `POST` when there is a body, else `GET`. */
  method?: string;
  headers?: Record<string, string>;
  /** A string or bytes as they are; anything else as JSON (with `content-type: application/json`). */
  body?: unknown;
  /** Sent as `x-test-id`. Default: a fresh `newTestId()`. */
  testId?: string;
}

/** One server-sent event as the browser's EventSource would read it (`event` undefined without an `event:` line). */
export interface SseEvent {
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/** How a response ended for the client: read to its end, left by `disconnect()`, or broken. */
export type StreamEnd = 'complete' | 'disconnected' | 'error';

/**
 * A response being read: SSE events are parsed as they arrive (for
 * `text/event-stream` responses), the raw body is kept, and the client can
 * leave at any time with `disconnect()`, which destroys the socket as a browser
 * tab closing would.
 */
export class TestStream implements AsyncIterable<SseEvent> {
  /** Events received so far. */
  readonly events: SseEvent[] = [];
  /** Body bytes received so far. */
  bytes = 0;
  /** Resolves when the response ends, however it ends. */
  readonly finished: Promise<StreamEnd>;
  private text = '';
  private ended: StreamEnd | undefined;
  /** Readers waiting for the next event or the end. */
  private waiting: Array<() => void> = [];
  private resolveFinished!: (end: StreamEnd) => void;

  /** @internal */
  constructor(
    readonly testId: string,
    private readonly clientRequest: ClientRequest,
    private readonly response: IncomingMessage,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    const parser = /text\/event-stream/i.test(String(response.headers['content-type'] ?? ''))
      ? createParser({ onEvent: ({ event, data, id }) => this.push({ event, data, id }) })
      : undefined;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.bytes += Buffer.byteLength(chunk);
      this.text += chunk;
      parser?.feed(chunk);
      this.notify();
    });
    response.on('end', () => this.end('complete'));
    response.on('error', () => this.end(this.ended ?? 'error'));
    response.on('close', () => this.end(response.complete ? 'complete' : 'error'));
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.response.headers;
  }

  /** The body received so far, as text. */
  get body(): string {
    return this.text;
  }

  /** The next event not yet taken by this method or the iterator; undefined once the response ended. */
  async nextEvent(): Promise<SseEvent | undefined> {
    while (this.taken >= this.events.length) {
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    return this.events[this.taken++];
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    for (let event = await this.nextEvent(); event; event = await this.nextEvent()) yield event;
  }

  /** Leaves: destroys the connection now, mid-stream. */
  disconnect(): void {
    if (this.ended) return;
    this.end('disconnected');
    this.clientRequest.destroy();
  }

  private taken = 0;

  private push(event: SseEvent): void {
    this.events.push(event);
  }

  private notify(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  private end(how: StreamEnd): void {
    if (this.ended) return;
    this.ended = how;
    this.resolveFinished(how);
    this.notify();
  }
}

/**
 * Sends the request and resolves once the response's status and headers
 * arrived; rejects (and closes the connection) when they have not after
 * `headersTimeoutMs` (default 10000).
 */
export async function openStream(target: RequestTarget, request: TestRequest & { headersTimeoutMs?: number }): Promise<TestStream> {
  const base = await baseUrlOf(target);
  const testId = request.testId ?? newTestId();
  const { body, contentType } = encodeBody(request.body);
  const headers: Record<string, string> = { ...(contentType ? { 'content-type': contentType } : {}), ...request.headers, 'x-test-id': testId };
  const method = request.method ?? (body === undefined ? 'GET' : 'POST');
  const timeoutMs = request.headersTimeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const clientRequest = httpRequest(`${base}${request.path}`, { method, headers, agent: false }, (response) => {
      clearTimeout(timer);
      resolve(new TestStream(testId, clientRequest, response));
    });
    const timer = setTimeout(() => {
      clientRequest.destroy();
      reject(new Error(`${method} ${request.path} (x-test-id ${testId}): no response headers after ${timeoutMs} ms`));
    }, timeoutMs);
    clientRequest.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    clientRequest.end(body);
  });
}

export interface StreamRequestOptions extends TestRequest {
  /** Disconnect once this many SSE events arrived. */
  disconnectAfterEvents?: number;
  /** Disconnect this many ms after the response headers arrived. */
  disconnectAfterMs?: number;
  /** Give up (disconnect and reject) when the headers, or the end, take longer than this many ms. Default 10000. */
  timeoutMs?: number;
}

export interface StreamResult {
  testId: string;
  status: number;
  headers: IncomingHttpHeaders;
  events: SseEvent[];
  body: string;
  bytes: number;
  ended: StreamEnd;
}

/**
 * Sends a request and reads its response to the end, or until the client
 * leaves (`disconnectAfterEvents`, `disconnectAfterMs`). For streamed (SSE)
 * and plain responses alike.
 */
export async function streamRequest(target: RequestTarget, options: StreamRequestOptions): Promise<StreamResult> {
  const stream = await openStream(target, { ...options, headersTimeoutMs: options.timeoutMs });
  const timers: NodeJS.Timeout[] = [];
  let timedOut = false;
  if (options.disconnectAfterMs !== undefined) timers.push(setTimeout(() => stream.disconnect(), options.disconnectAfterMs));
  timers.push(
    setTimeout(() => {
      timedOut = true;
      stream.disconnect();
    }, options.timeoutMs ?? 10_000),
  );
  try {
    if (options.disconnectAfterEvents !== undefined) {
      while (stream.events.length < options.disconnectAfterEvents && (await stream.nextEvent())) {
        // read until enough events arrived or the response ended
      }
      stream.disconnect();
    }
    const ended = await stream.finished;
    if (timedOut) {
      throw new Error(
        `streamRequest ${options.path} (x-test-id ${stream.testId}): no end after ${options.timeoutMs ?? 10_000} ms; ${stream.events.length} events, ${stream.bytes} bytes received`,
      );
    }
    return { testId: stream.testId, status: stream.status, headers: stream.headers, events: [...stream.events], body: stream.body, bytes: stream.bytes, ended };
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
}

function encodeBody(body: unknown): { body: string | Buffer | undefined; contentType?: string } {
  if (body === undefined) return { body: undefined };
  if (typeof body === 'string' || Buffer.isBuffer(body)) return { body };
  return { body: JSON.stringify(body), contentType: 'application/json' };
}

async function baseUrlOf(target: RequestTarget): Promise<string> {
  if (typeof target === 'string') return target.replace(/\/+$/, '');
  const server = target.getHttpServer() as { address(): AddressInfo | string | null };
  if (!server.address()) await target.listen(0, '127.0.0.1');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the app listens on a pipe or socket file; pass its base URL instead');
  const ipv6 = address.family === 'IPv6' || address.family === (6 as unknown as string);
  const host = address.address === '::' || address.address === '0.0.0.0' ? (ipv6 ? '[::1]' : '127.0.0.1') : ipv6 ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
