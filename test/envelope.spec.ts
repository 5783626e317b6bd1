import { describe, expect, it } from '@jest/globals';
import { NULL_EDGE_HEADERS, nullEdgeHeaders } from '../lib/correlation/edge-headers';
import { CvdiagEnvelope } from '../lib/envelope/envelope.types';
import { sanitizeMetadata } from '../lib/envelope/sanitize-metadata';
import { serializeWithinCap } from '../lib/envelope/serialize';

function envelope(overrides: Partial<CvdiagEnvelope> = {}): CvdiagEnvelope {
  return {
    schema_version: 1,
    test_id: '0190a9c0-1a2b-7c3d-8e4f-5a6b7c8d9e0f',
    trace_id: '0190a9c0-1a2b-7c3d-8e4f-5a6b7c8d9e10',
    span_id: '0123456789abcdef',
    parent_span_id: null,
    layer: 'backend',
    boundary: 'backend.error.caught',
    slug: 'unit',
    demo: 'default',
    ts: '2026-11-26T00:00:00.000Z',
    mono_ns: 1,
    duration_ms: 1,
    outcome: 'err',
    edge_headers: nullEdgeHeaders(),
    metadata: {},
    _metadata_dropped: false,
    _truncated: false,
    ...overrides,
  };
}

const bytes = (json: string) => Buffer.byteLength(json, 'utf8');

describe('the row JSON', () => {
  // The serializer writes the envelope key by key; it must be exactly what
  // JSON.stringify gives (and so parse back to the same object, keys in order).
  const headers = nullEdgeHeaders();
  headers['cf-ray'] = 'ray "quoted" \\ back\nslash';
  headers.server = 'é 😀';
  it.each([
    ['a bare row', envelope()],
    ['the shared all-null edge headers, a parent span and a null duration', envelope({ edge_headers: NULL_EDGE_HEADERS, parent_span_id: 'fedcba9876543210', duration_ms: null })],
    ['free text with quotes, controls and non-ASCII', envelope({ demo: 'd"e\\m\to\u0001 ü', slug: 'my-agent', edge_headers: headers })],
    ['nested metadata and non-finite numbers', envelope({ metadata: { stack_brief: [{ file: 'a.js', line: 1 }, { file: 'b"c', line: null }], n: Number.NaN }, duration_ms: Number.POSITIVE_INFINITY })],
  ])('is JSON.stringify of the envelope for %s', (_name, row) => {
    expect(serializeWithinCap(row, 16384)).toBe(JSON.stringify(row));
  });
});

describe('the per-row byte cap', () => {
  it('leaves a row that fits untouched', () => {
    const row = envelope({ metadata: { exception_type: 'Error' } });
    const json = serializeWithinCap(row, 2048);
    expect(JSON.parse(json)._truncated).toBe(false);
  });

  it('first cuts long metadata strings to 61 chars + "..." and nested values to a marker', () => {
    const row = envelope({ metadata: { exception_type: 'Error', message_scrubbed: 'm'.repeat(1500), stack_brief: [{ file: 'f'.repeat(600), line: 1 }] } });
    const parsed = JSON.parse(serializeWithinCap(row, 2048));
    expect(parsed._truncated).toBe(true);
    expect(parsed.metadata.message_scrubbed).toBe(`${'m'.repeat(61)}...`);
    expect(parsed.metadata.stack_brief).toEqual([{ file: 'f'.repeat(600), line: 1 }]);
  });

  it('then clamps the demo, then edge headers, never ids or enums', () => {
    const headers = nullEdgeHeaders();
    headers['cf-ray'] = 'é'.repeat(250);
    headers.via = 'v'.repeat(250);
    const row = envelope({ demo: 'd'.repeat(256), edge_headers: headers, metadata: { exception_type: 'Error' } });
    const json = serializeWithinCap(row, 700);
    const parsed = JSON.parse(json);
    expect(bytes(json)).toBeLessThanOrEqual(700);
    expect(parsed._truncated).toBe(true);
    expect(parsed.metadata).toEqual({});
    expect(parsed.demo.endsWith('[clamped]')).toBe(true);
    expect(Buffer.byteLength(parsed.edge_headers['cf-ray'])).toBeLessThanOrEqual(128);
    expect(parsed.edge_headers['cf-ray']).not.toContain('\ufffd');
    expect(parsed.test_id).toBe(row.test_id);
    expect(parsed.outcome).toBe('err');
  });

  it('escapes U+2028 and U+2029 so the row stays one line for every reader', () => {
    const json = serializeWithinCap(envelope({ demo: 'a\u2028b\u2029c' }), 2048);
    expect(json).toContain('a\\u2028b\\u2029c');
    expect(JSON.parse(json).demo).toBe('a\u2028b\u2029c');
  });
});

describe('metadata sanitizing', () => {
  it('keeps declared keys only, and says when it dropped some', () => {
    expect(sanitizeMetadata('backend.sse.event', { event_type: 'x', payload_size_bytes: 1, sequence_num: 0, extra: 'no' })).toEqual({
      metadata: { event_type: 'x', payload_size_bytes: 1, sequence_num: 0 },
      dropped: true,
    });
  });

  it('copies cycles, throwing getters, BigInt and class instances safely without touching the input', () => {
    class Frame {
      constructor(readonly file: string, readonly line: number) {}
    }
    const cyclic: Record<string, unknown> = { file: 'a', line: 1 };
    cyclic.self = cyclic;
    const hostile = Object.defineProperty({}, 'file', { enumerable: true, get: () => { throw new Error('getter'); } });
    const input = {
      exception_type: 'E',
      message_scrubbed: 'token=abc123',
      stack_brief: [new Frame('sk-test-12345.js', 10), cyclic, hostile, 10n, 2n ** 70n, Infinity],
      truncated: false,
    };
    const snapshot = JSON.stringify({ ...input, stack_brief: 'x' });
    const { metadata } = sanitizeMetadata('backend.error.caught', input);
    const frames = metadata.stack_brief as unknown[];
    expect(frames[0]).toEqual({ file: '[REDACTED].js', line: 10 });
    expect((frames[1] as Record<string, unknown>).self).toBe('[circular]');
    expect(frames[2]).toEqual({ file: '[unreadable]' });
    expect(frames.slice(3)).toEqual([10, (2n ** 70n).toString(), null]);
    expect(metadata.message_scrubbed).toBe('token=[REDACTED]');
    expect(JSON.stringify({ ...input, stack_brief: 'x' })).toBe(snapshot);
    expect(cyclic.self).toBe(cyclic);
  });
});
