import { Inject, Injectable } from '@nestjs/common';
import { CvdiagService, LlmCall } from 'nestjs-cvdiag';

export const LLM_SETTINGS = Symbol('LLM_SETTINGS');

export interface LlmSettings {
  baseUrl: string;
  apiKey: string;
  model: string;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The provider answered with an error status; its message is kept (CVDIAG scrubs it). */
export class UpstreamLlmError extends Error {
  override name = 'UpstreamLlmError';
  constructor(readonly status: number, message: string) {
    super(`LLM provider answered ${status}: ${message}`);
  }
}

/**
 * Streams a chat completion from any OpenAI-compatible endpoint. The returned
 * async generator is lazy; when the consumer stops early (client gone), its
 * `finally` aborts the HTTP request so no tokens are generated for nobody.
 */
@Injectable()
export class OpenAiChatClient {
  constructor(
    @Inject(LLM_SETTINGS) private readonly settings: LlmSettings,
    private readonly cvdiag: CvdiagService,
  ) {}

  @LlmCall({ provider: 'openai-compatible' })
  async *streamChat(messages: ChatMessage[]): AsyncGenerator<string> {
    const abort = new AbortController();
    try {
      const response = await fetch(`${this.settings.baseUrl}/chat/completions`, {
        method: 'POST',
        signal: abort.signal,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.settings.apiKey}` },
        body: JSON.stringify({ model: this.settings.model, messages, stream: true, stream_options: { include_usage: true } }),
      });
      if (!response.ok || !response.body) {
        const text = await response.text();
        let message = text;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
        } catch {
          // not JSON: keep the text
        }
        throw new UpstreamLlmError(response.status, message);
      }
      for await (const data of sseDataLines(response.body)) {
        if (data === '[DONE]') return;
        const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }>; usage?: { completion_tokens?: number } };
        if (chunk.usage?.completion_tokens !== undefined) this.cvdiag.recordLlmUsage({ responseTokens: chunk.usage.completion_tokens });
        const content = chunk.choices?.[0]?.delta?.content;
        if (content) yield content;
      }
    } finally {
      abort.abort();
    }
  }
}

/** The `data:` payloads of an SSE byte stream. */
async function* sseDataLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line.startsWith('data:')) yield line.slice(5).trim();
    }
  }
}
