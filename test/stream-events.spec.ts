import { describe, expect, it, jest } from '@jest/globals';
import { readJsonHead } from '../lib/response/json-head';
import { MAX_EVENT_BYTES, StreamEvent, StreamEventParser, streamFormatOf } from '../lib/response/stream-events';

function parse(format: 'sse' | 'ndjson', writes: Array<string | Buffer>, end = true): StreamEvent[] {
  const parser = new StreamEventParser(format);
  const events: StreamEvent[] = [];
  for (const write of writes) parser.feed(Buffer.isBuffer(write) ? write : Buffer.from(write), (event) => events.push(event));
  if (end) parser.end((event) => events.push(event));
  return events;
}

const agui = (payload: object) => `data: ${JSON.stringify(payload)}\n\n`;

describe('SSE events from body writes', () => {
  const started = agui({ type: 'RUN_STARTED', threadId: 't', runId: 'r' });
  const content = agui({ type: 'TEXT_MESSAGE_CONTENT', messageId: 'm', delta: 'Hello' });

  it('gives one event per event, whatever the writes: merged, split, byte by byte', () => {
    const whole = started + content;
    const expected = [
      { type: 'RUN_STARTED', bytes: Buffer.byteLength(started) },
      { type: 'TEXT_MESSAGE_CONTENT', bytes: Buffer.byteLength(content) },
    ];
    expect(parse('sse', [whole])).toEqual(expected);
    expect(parse('sse', [started.slice(0, 10), started.slice(10) + content.slice(0, 5), content.slice(5)])).toEqual(expected);
    expect(parse('sse', [...whole].map((char) => char))).toEqual(expected);
  });

  it('skips comments, keep-alives and the header-commit newline; counts their bytes nowhere', () => {
    expect(parse('sse', ['\n', ': keep-alive\n\n', started, ':\n\n'])).toEqual([{ type: 'RUN_STARTED', bytes: Buffer.byteLength(started) }]);
  });

  it('names events by event:, else JSON type, OpenAI chunk, [DONE], message', () => {
    const events = parse('sse', [
      'event: delta\ndata: {"type":"ignored"}\n\n',
      'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"delta":{"tool_calls":[{"type":"function"}]}}]}\n\n',
      'data: [DONE]\n\n',
      'data: plain text\ndata: more\n\n',
      'id: 7\ndata: {"nested":{"type":"inner"},"type":"OUTER"}\n\n',
    ]);
    expect(events.map((event) => event.type)).toEqual(['delta', 'chat.completion.chunk', 'done', 'message', 'OUTER']);
  });

  it('handles CRLF and CR line ends, also split between writes', () => {
    expect(parse('sse', ['data: {"type":"A"}\r', '\n\r\n', 'data: x\r\r']).map((event) => event.type)).toEqual(['A', 'message']);
  });

  it('reports in-band errors: RUN_ERROR and event: error, with their message', () => {
    const events = parse('sse', [
      agui({ type: 'RUN_ERROR', message: 'quota exceeded for key sk-live-abc', code: 'quota' }),
      'event: error\ndata: {"message":"upstream broke"}\n\n',
      'event: error\ndata: Internal server error\n\n',
    ]);
    expect(events.map((event) => event.error)).toEqual([
      { type: 'RUN_ERROR', message: 'quota exceeded for key sk-live-abc' },
      { type: 'error', message: 'upstream broke' },
      { type: 'error', message: 'Internal server error' },
    ]);
  });

  it('takes CR alone as a line end', () => {
    expect(parse('sse', ['data: {"type":"A"}\r\rdata: b\r\r']).map((event) => event.type)).toEqual(['A', 'message']);
    expect(parse('sse', ['\r'.repeat(10_000)])).toEqual([]);
  });

  it('counts a complete event over 1 MiB written at once, whole and typed; a comment-only block of that size is no event', () => {
    const huge = `data: {"type":"BIG","pad":"${'x'.repeat(MAX_EVENT_BYTES)}"}\n\n`;
    expect(parse('sse', [huge])).toEqual([{ type: 'BIG', bytes: Buffer.byteLength(huge) }]);
    expect(parse('sse', [`: ${'x'.repeat(MAX_EVENT_BYTES)}\n\n`, 'data: after\n\n']).map((event) => event.type)).toEqual(['message']);
  });

  it('cuts a single endless data line, written in pieces', () => {
    const parser = new StreamEventParser('sse');
    const events: StreamEvent[] = [];
    parser.feed(Buffer.from('data: '), (event) => events.push(event));
    for (let i = 0; i < 20; i++) parser.feed(Buffer.alloc(64 * 1024, 0x78), (event) => events.push(event));
    expect(events).toEqual([expect.objectContaining({ cut: true })]);
  });

  it('does not count an unterminated last block (as browsers do), nor an event: line without data', () => {
    expect(parse('sse', ['event: x\n\n', 'data: {"type":"A"}\n'])).toEqual([]);
  });

  it('cuts an event that never ends at MAX_EVENT_BYTES, counts it once, and keeps no more memory', () => {
    const parser = new StreamEventParser('sse');
    const events: StreamEvent[] = [];
    const piece = Buffer.from(`data: ${'x'.repeat(64 * 1024)}\n`);
    for (let i = 0; i < 40; i++) parser.feed(piece, (event) => events.push(event));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'message', cut: true });
    expect(events[0].bytes).toBeGreaterThanOrEqual(MAX_EVENT_BYTES);
    expect(parser.cutEvents).toBe(1);
    parser.feed(Buffer.from('\ndata: {"type":"NEXT"}\n\n'), (event) => events.push(event));
    expect(events.map((event) => event.type)).toEqual(['message', 'NEXT']);
  });
});

describe('events typed only when needed (default tier)', () => {
  function parseLazily(format: 'sse' | 'ndjson', writes: string[]): { events: StreamEvent[]; last: string } {
    const parser = new StreamEventParser(format, false);
    const events: StreamEvent[] = [];
    for (const write of writes) parser.feed(Buffer.from(write), (event) => events.push(event));
    parser.end((event) => events.push(event));
    return { events, last: parser.typeOfLast() };
  }

  it('counts every event with its bytes, types named ones and possible errors at once, and the last one on request', () => {
    const secretMessage = 'tool failed';
    const { events, last } = parseLazily('sse', [
      agui({ type: 'RUN_STARTED' }),
      'event: delta\ndata: {}\n\n',
      agui({ type: 'RUN_ERROR', message: secretMessage }),
      'event: error\ndata: {"message":"upstream"}\n\n',
      agui({ type: 'TEXT_MESSAGE_CONTENT', delta: 'x' }),
      agui({ type: 'RUN_FINISHED' }),
    ]);
    expect(events.map((event) => event.type)).toEqual([undefined, 'delta', 'RUN_ERROR', 'error', undefined, undefined]);
    expect(events.map((event) => event.error?.message)).toEqual([undefined, undefined, secretMessage, 'upstream', undefined, undefined]);
    expect(events[5]!.bytes).toBe(Buffer.byteLength(agui({ type: 'RUN_FINISHED' })));
    expect(last).toBe('RUN_FINISHED');
    expect(parseLazily('sse', ['data: {"object":"chat.completion.chunk"}\n\n', 'data: [DONE]\n\n']).last).toBe('done');
    expect(parseLazily('ndjson', ['{"type":"A"}\n{"type":', '"B"}']).last).toBe('B');
  });

  it('counts a string write that is one whole event without parsing it, and agrees with the parser on everything else', () => {
    const sse = [
      '\n', // Nest's header-commit newline
      agui({ type: 'RUN_STARTED' }),
      ': keep-alive\n\n',
      agui({ type: 'TEXT_MESSAGE_CONTENT', delta: 'é€😀' }),
      'data: {"type":"SPLIT', '"}\n\n',
      agui({ type: 'A' }) + agui({ type: 'B' }),
      'data: {"type":"CRLF"}\r\n\r\n',
      'event: named\ndata: {}\n\n',
      'data: {}\nevent: late-name\n\n',
      agui({ type: 'RUN_ERROR', message: 'boom' }),
      'data: x\n\n\n',
      'data: {"type":\ndata: "TWO_LINES"}\n\n',
      'data:{"type":"NO_SPACE"}\n\n',
      `data: {"type":"LONG","pad":"${'x'.repeat(3000)}"}\n\n`,
      // Past the data head in bytes, not in characters: the type is beyond what is read
      `data: {"text":"${'é'.repeat(1100)}","type":"PAST_THE_HEAD"}\n\n`,
      // An error whose type is written with an escape
      'data: {"type":"RUN\\u005FERROR","message":"escaped"}\n\n',
      // Past a non-ASCII character, the scan goes on: an error, a CR, a second line
      agui({ delta: 'é', type: 'RUN_ERROR', message: 'after a non-ASCII character' }),
      'data: {"type":"CR_AFTER_É"}\r\n\r\n',
      'data: é\ndata: {"type":"TWO_LINES_É"}\n\n',
      'data: [DONE]\n\n',
    ];
    const ndjson = [
      '{"type":"ONE"}\n',
      '{"type":"TW',
      'O"}\n',
      '{"type":"THREE"}\n{"type":"FOUR"}\n',
      '{"type":"RUN_ERROR","message":"m"}\n',
      '{"type":"RUN\\u005FERROR","message":"escaped"}\n',
      '{"delta":"é","type":"RUN_ERROR","message":"after a non-ASCII character"}\n',
      `{"text":"${'é'.repeat(1100)}","type":"PAST_THE_HEAD"}\n`,
      '{"type":"LAST"}\n',
    ];
    for (const [format, writes] of [['sse', sse], ['ndjson', ndjson]] as const) {
      const typed = new StreamEventParser(format, true);
      const lazy = new StreamEventParser(format, false);
      const parsed = jest.spyOn(lazy, 'feed');
      const all: StreamEvent[] = [];
      const some: StreamEvent[] = [];
      const lastTypes: Array<[string | undefined, string]> = [];
      for (const write of writes) {
        typed.write(write, undefined, Buffer.byteLength(write), (event) => all.push(event));
        lazy.write(write, undefined, Buffer.byteLength(write), (event) => some.push(event));
        if (some.length > 0) lastTypes.push([all.at(-1)!.type, some.at(-1)!.type ?? lazy.typeOfLast()]);
      }
      expect(some.map((event) => [event.bytes, event.error])).toEqual(all.map((event) => [event.bytes, event.error]));
      expect(some.map((event, index) => event.type ?? all[index]!.type)).toEqual(all.map((event) => event.type));
      for (const [expected, actual] of lastTypes) expect(actual).toBe(expected);
      expect(some.filter((event) => event.type === undefined).length).toBeGreaterThan(2);
      // The whole-event writes were counted without the parser; the others went through it.
      expect(parsed.mock.calls.length).toBeGreaterThan(2);
      expect(parsed.mock.calls.length).toBeLessThan(writes.length - 2);
      expect(all.filter((event) => event.error !== undefined).length).toBe(3);
    }
  });
});

describe('event types', () => {
  it('reads a type written first the same way as one read by the JSON scan: escapes, empty, cut, spaced, errors', () => {
    const cases: Array<[string, string, boolean]> = [
      ['{"type":"TEXT_MESSAGE_CONTENT","delta":"x"}', 'TEXT_MESSAGE_CONTENT', false],
      ['{"type":"A\\"B"}', 'A"B', false],
      ['{"type":"A\\u0042"}', 'AB', false],
      ['{"type":""}', 'message', false],
      ['{"type":"CUT', 'CUT', false],
      ['{ "type": "SPACED" }', 'SPACED', false],
      ['{"type":"RUN_ERROR","message":"m"}', 'RUN_ERROR', true],
    ];
    for (const [data, type, error] of cases) {
      const [event] = parse('sse', [`data: ${data}\n\n`]);
      expect([data, event!.type, event!.error !== undefined]).toEqual([data, type, error]);
      expect(event!.type).toBe(readJsonHead(data).type || 'message');
    }
  });
});

describe('NDJSON events', () => {
  it('gives one event per line, typed like SSE data, a last line without newline included', () => {
    const events = parse('ndjson', ['{"type":"RUN_STARTED"}\n{"type":"TEXT_', 'MESSAGE_CONTENT","delta":"hi"}\n\n', '{"a":1}']);
    expect(events).toEqual([
      { type: 'RUN_STARTED', bytes: Buffer.byteLength('{"type":"RUN_STARTED"}\n') },
      { type: 'TEXT_MESSAGE_CONTENT', bytes: Buffer.byteLength('{"type":"TEXT_MESSAGE_CONTENT","delta":"hi"}\n') },
      { type: 'message', bytes: Buffer.byteLength('{"a":1}') },
    ]);
  });
});

describe('stream format', () => {
  it.each([
    ['text/event-stream; charset=utf-8', false, 'sse'],
    ['application/json', true, 'sse'],
    ['application/x-ndjson', false, 'ndjson'],
    ['application/jsonl', false, 'ndjson'],
    ['text/plain', false, 'chunks'],
    [undefined, false, 'chunks'],
  ])('%s (sse route %s) → %s', (type, sseRoute, format) => {
    expect(streamFormatOf(type, sseRoute)).toBe(format);
  });
});

describe('JSON head', () => {
  it('reads top-level type, object and message from a prefix cut anywhere', () => {
    expect(readJsonHead('{"type":"RUN_ERROR","message":"bad \\"key\\" \\u0041"}')).toEqual({ type: 'RUN_ERROR', message: 'bad "key" A' });
    expect(readJsonHead('{"x":[1,{"type":"no"}],"type":"RUN_ERROR","message":"cut he')).toEqual({ type: 'RUN_ERROR', message: 'cut he' });
    // It stops once the type is known: nothing after it is read.
    expect(readJsonHead('{"type":"TEXT_MESSAGE_CONTENT","message":"not read"')).toEqual({ type: 'TEXT_MESSAGE_CONTENT' });
    expect(readJsonHead('[{"type":"array"}]')).toEqual({});
    expect(readJsonHead('{"type":1,"object":"chat.completion.chunk"}')).toEqual({ object: 'chat.completion.chunk' });
  });

});
