import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible `POST /v1/chat/completions` with `stream: true`, on
 * loopback, so the sample needs no key and no network. The last user message
 * steers it:
 * - starts with "slow": waits `slowFirstTokenMs` before the first token;
 * - starts with "long": streams many tokens slowly (for the disconnect demo);
 * - starts with "error": answers 401 with a provider-style message holding a key.
 * Anything else streams a short answer.
 */
export interface FakeOpenAiOptions {
  slowFirstTokenMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startFakeOpenAi(options: FakeOpenAiOptions): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    handle(req, res, options).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: FakeOpenAiOptions): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
    return;
  }
  const body = JSON.parse(await readBody(req)) as { model?: string; messages?: Array<{ role: string; content: string }> };
  const prompt = body.messages?.filter((message) => message.role === 'user').at(-1)?.content ?? '';

  if (prompt.startsWith('error')) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: { message: 'Incorrect API key provided: sk-live-sample0123456789abcdef. Find your key at the dashboard.', type: 'invalid_request_error' },
      }),
    );
    return;
  }

  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const words = prompt.startsWith('long')
    ? Array.from({ length: 200 }, (_, i) => `word${i} `)
    : ['Hello', ' from', ' the', ' fake', ' model', '.'];
  if (prompt.startsWith('slow')) await sleep(options.slowFirstTokenMs);
  for (const [index, word] of words.entries()) {
    if (closed) return; // the caller aborted: stop generating
    const chunk = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, delta: { content: word } }] };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    await sleep(prompt.startsWith('long') ? 25 : 10);
    if (index === words.length - 1) {
      const usage = { prompt_tokens: Math.ceil(prompt.length / 4), completion_tokens: words.length, total_tokens: 0 };
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
    }
  }
  res.end('data: [DONE]\n\n');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
