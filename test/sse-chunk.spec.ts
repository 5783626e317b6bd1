import { describe, expect, it } from '@jest/globals';
import { classifySseWrite } from '../lib/http/sse-chunk';

describe('the SSE event name of a write', () => {
  it.each([
    ['data only', 'data: {"token":"hi"}\n\n', 'message'],
    ['a named event', 'event: token\ndata: x\n\n', 'token'],
    ['a name without the space', 'event:token\ndata: x\n\n', 'token'],
    ['the name after other fields', 'id: 7\nretry: 100\nevent: done\ndata: x\n\n', 'done'],
    ['CRLF line ends', 'event: token\r\ndata: x\r\n\r\n', 'token'],
    ['an empty name', 'event: \ndata: x\n\n', 'message'],
    ['an empty name at the end of the chunk', 'data: x\nevent:', 'message'],
    ['"event:" inside a data line', 'data: event: not-a-name\n\n', 'message'],
    ['a name cut to 64 characters', `event: ${'e'.repeat(100)}\n\n`, 'e'.repeat(64)],
    ['a Buffer', Buffer.from('event: buffered\ndata: x\n\n'), 'buffered'],
    ['a field without a value', 'data\n\n', 'message'],
  ])('%s', (_name, chunk, expected) => {
    expect(classifySseWrite(chunk)).toBe(expected);
  });

  it.each([
    ['the lone newline Nest writes when it commits the headers', '\n'],
    ['a keep-alive comment', ': keep-alive\n\n'],
    ['CRLF blank lines', '\r\n\r\n'],
    ['an empty write', ''],
    ['something that is not a chunk', 42],
  ])('none for %s', (_name, chunk) => {
    expect(classifySseWrite(chunk)).toBeNull();
  });
});
