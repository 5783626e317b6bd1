import { request as httpRequest, IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A plain HTTP/1.1 request over a fresh connection; resolves with the whole response. */
export function send(baseUrl: string, options: RequestOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${baseUrl}${options.path}`,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Reads a streamed response until `bytes` body bytes arrived, then destroys the
 * socket: a real client disconnect mid-stream. Resolves with what was read.
 */
export function readThenDisconnect(baseUrl: string, options: RequestOptions & { bytes: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${baseUrl}${options.path}`,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          received += chunk.length;
          if (received >= options.bytes) {
            req.destroy();
            resolve(Buffer.concat(chunks));
          }
        });
        res.on('error', () => undefined);
        res.on('end', () => reject(new Error('the stream ended before the client disconnected')));
      },
    );
    req.on('error', () => undefined);
    req.end(options.body);
  });
}

/** Sends the request and disconnects after `afterMs`, whether or not anything arrived. */
export function disconnectAfter(baseUrl: string, options: RequestOptions & { afterMs: number }): Promise<void> {
  return new Promise((resolve) => {
    const req = httpRequest(`${baseUrl}${options.path}`, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: false,
    });
    req.on('error', () => undefined);
    req.on('response', (res) => res.on('error', () => undefined).resume());
    req.end(options.body);
    setTimeout(() => {
      req.destroy();
      resolve();
    }, options.afterMs);
  });
}

/**
 * Sends `text` as-is over a TCP connection and resolves with everything the
 * server answers until it closes or `idleMs` pass without data. For requests no
 * well-behaved client would send.
 */
export function sendRaw(baseUrl: string, text: string | Buffer, idleMs = 300): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      arm();
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(text);
    arm();
  });
}

/**
 * Sends the request and destroys the connection as soon as `when` resolves
 * (e.g. the server reports that the LLM call started): a disconnect at a known
 * point of the server's work, not after a guessed delay.
 */
export function disconnectWhen(baseUrl: string, options: RequestOptions, when: Promise<unknown>): Promise<void> {
  const req = httpRequest(`${baseUrl}${options.path}`, { method: options.method ?? 'GET', headers: options.headers, agent: false });
  req.on('error', () => undefined);
  req.on('response', (res) => res.on('error', () => undefined).resume());
  req.end(options.body);
  return when.then(() => {
    req.destroy();
  });
}

/** A client that receives the response headers and then never reads. Returns a function that disconnects it. */
export function connectWithoutReading(baseUrl: string, options: RequestOptions): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${options.path}`, { method: options.method ?? 'GET', headers: options.headers, agent: false });
    req.on('error', () => undefined);
    req.on('response', (res) => {
      res.pause();
      res.on('error', () => undefined);
      resolve(() => req.destroy());
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
