import { Controller, Post } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import { agentAppModule } from './fixtures/agent-app';

import { useApps, useCapture } from './support/harness';
import { assertValidRows, lineOf, newTestId, UUIDV7_PATTERN } from 'nestjs-cvdiag/testing';
import { isTerminalBoundary } from 'nestjs-cvdiag/analysis';
import { once } from 'node:events';
import { connect } from 'node:net';
import { DEBUG_ENV, useEnv } from './support/env';
import { send, sendRaw } from './support/http-client';
import { ADAPTERS, waitFor } from './support/nest-app';

const MEGABYTE = 1024 * 1024;

@Controller('hostile')
class HostileController {
  /** 1 MB message with secrets at the start, the middle and the end. */
  @Post('huge-error')
  hugeError(): never {
    const filler = 'x'.repeat(MEGABYTE / 2);
    throw new Error(`sk-live-startsecret123 ${filler} Bearer middle.secret.token ${filler} sk-live-endsecret456`);
  }

  @Post('cycle')
  cycle(): never {
    const error = new Error('cyclic api_key=hunter2-cyclic') as Error & { self?: unknown };
    error.self = error;
    throw error;
  }

  @Post('separators')
  separators(): never {
    throw new Error('line\u2028separator\u2029paragraph\nnewline\r\u0000nul');
  }

  @Post('throws-string')
  throwsString(): never {
    throw 'a plain string with password=p4ssw0rd-thrown';
  }
}

const SECRETS = ['startsecret123', 'middle.secret', 'endsecret456', 'hunter2-cyclic', 'p4ssw0rd-thrown', 'sk-path-secret-123', 'tok3n-in-query', '203.0.113.9', 'top-secret-auth'];

describe.each(ADAPTERS)('hostile input on %s', (adapter) => {
  useEnv(DEBUG_ENV);
  const capture = useCapture();
  const apps = useApps();

  const terminals = () => capture.rows().filter((row) => row.boundary === 'backend.response.complete' || row.boundary === 'backend.sse.aborted').length;

  it('gives pipelined requests exactly one terminal each when the socket closes while they are queued', async () => {
    const running = await apps.start(agentAppModule({ enabled: true }), adapter);
    const ids = [newTestId(), newTestId(), newTestId(), newTestId()];
    const requests = ['GET /answer?q=slow', 'GET /json', 'POST /json', 'GET /endless'];
    const body = '{"queued":true}';
    const socket = connect(Number(new URL(running.url).port), '127.0.0.1');
    await once(socket, 'connect');
    socket.on('error', () => undefined);
    // The POST's body is read while it waits in the queue: its request closes early, its socket later.
    socket.write(
      requests
        .map((line, i) =>
          line.startsWith('POST')
            ? `${line} HTTP/1.1\r\nHost: localhost\r\nx-test-id: ${ids[i]}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`
            : `${line} HTTP/1.1\r\nHost: localhost\r\nx-test-id: ${ids[i]}\r\n\r\n`,
        )
        .join(''),
    );
    await new Promise((resolve) => setTimeout(resolve, 30)); // the first answer takes 60 ms: the others are still queued
    socket.destroy();
    const terminalsOf = (id: string) =>
      capture.rowsOf(id).filter((row) => isTerminalBoundary(row.boundary));
    await waitFor(() => ids.every((id) => terminalsOf(id).length > 0), 'a terminal for each pipelined request');
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const id of ids) {
      expect(terminalsOf(id).map((row) => row.boundary)).toEqual(['backend.sse.aborted']);
      expect(terminalsOf(id)[0].metadata.termination_kind).toBe('rst');
    }
    assertValidRows(capture.rows());
  });

  it('decodes, then scrubs, then cuts or lowercases: encoded paths, the demo of x-aimock-context', async () => {
    const running = await apps.start(agentAppModule({ enabled: true, tier: 'verbose' }), adapter);
    const secrets = ['hunter2pass', 'sk-live-EncodedKey0123', 'u3pw0rdsecret', 'AKIAIOSFODNN7EXAMPLE', 'abcdefgh.ijklmnop.qrst'];
    const requests = [
      { path: '/p/Bearer%20abcdefgh.ijklmnop.qrst' },
      { path: '/x/api_key%3Dhunter2pass' },
      { path: '/sk-live-EncodedKey0123%2Fmore/rest' },
      { path: '/db/postgres%3A%2F%2Fuser%3Au3pw0rdsecret%40host' },
      { path: '/json', headers: { 'x-aimock-context': 'my-agent/AKIAIOSFODNN7EXAMPLE' } },
    ];
    for (const request of requests) await send(running.url, request);
    await waitFor(() => terminals() === requests.length, 'terminals');
    const rows = capture.rows();
    assertValidRows(rows, { tier: 'verbose' });
    for (const secret of secrets) expect(capture.text()).not.toContain(secret);
    for (const secret of secrets) expect(capture.text().toLowerCase()).not.toContain(secret.toLowerCase());
    const ingressPaths = rows.filter((row) => row.boundary === 'backend.request.ingress').map((row) => row.metadata.path);
    expect(ingressPaths).toContain('/p/Bearer [REDACTED]');
  });

  it('mints a UUIDv7 for non-UUID, empty, UUIDv4 and 10 KB x-test-id values', async () => {
    const running = await apps.start(agentAppModule({ enabled: true }), adapter);
    const values = ['not-a-uuid', '', '6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5', 'a'.repeat(10 * 1024), ' 0190A9C0-1A2B-7C3D-8E4F-5A6B7C8D9E0F '];
    for (const value of values) {
      expect((await send(running.url, { path: '/json', headers: { 'x-test-id': value } })).status).toBe(200);
    }
    await waitFor(() => terminals() === values.length, 'terminals');
    const traces = assertValidRows(capture.rows(), { tier: 'default' });
    const testIds = [...traces.values()].map((trace) => trace[0].test_id);
    expect(testIds.every((id) => UUIDV7_PATTERN.test(id))).toBe(true);
    // A valid id in any case, with spaces around it, is adopted trimmed and lowercased.
    expect(testIds).toContain('0190a9c0-1a2b-7c3d-8e4f-5a6b7c8d9e0f');
    expect(new Set(testIds).size).toBe(values.length);
  });

  it('adopts a probe id sanitized to [a-z0-9._-] with adoptTestId', async () => {
    const running = await apps.start(agentAppModule({ enabled: true, adoptTestId: true }), adapter);
    await send(running.url, { path: '/json', headers: { 'x-test-id': 'D4-Slug-Run7' } });
    await send(running.url, { path: '/json', headers: { 'x-test-id': 'p!r@o#b$e 1' } });
    await send(running.url, { path: '/json', headers: { 'x-test-id': '!!!' } });
    await waitFor(() => terminals() === 3, 'terminals');
    const rows = capture.rows();
    assertValidRows(rows, { adoptedTestIds: true });
    const ids = rows.filter((row) => row.boundary === 'backend.response.complete').map((row) => row.test_id);
    expect(ids[0]).toBe('d4-slug-run7');
    expect(ids[1]).toBe('probe1');
    expect(UUIDV7_PATTERN.test(ids[2])).toBe(true);
  });

  it('writes one valid line per row for odd bytes in headers and paths, huge edge headers and secrets in paths', async () => {
    const running = await apps.start(agentAppModule({ enabled: true }), adapter);
    const longRay = 'r'.repeat(5000);
    const raw = [
      'GET /chat%0A%0Dinjected%E2%80%A8/sk-path-secret-123?token=tok3n-in-query HTTP/1.1',
      'Host: 127.0.0.1',
      'X-Test-Id: \t\u00ff\u00fe',
      'X-Aimock-Context: Weird\tSlug/demo\u00e9',
      `CF-Ray: ${longRay}`,
      'Via: 1.1 proxy\u00e9\u00ff',
      'X-Forwarded-For: 203.0.113.9',
      'CF-Connecting-IP: 203.0.113.9',
      'Authorization: Bearer top-secret-auth',
      'Connection: close',
      '',
      '',
    ].join('\r\n');
    const answer = await sendRaw(running.url, Buffer.from(raw, 'latin1'));
    expect(answer).toMatch(/^HTTP\/1\.1 404/);
    await waitFor(() => terminals() === 1, 'terminal');
    const rows = capture.rows();
    assertValidRows(rows);
    const ingress = rows.find((row) => row.boundary === 'backend.request.ingress')!;
    expect(ingress.metadata.path).not.toContain('sk-path-secret-123');
    expect(ingress.metadata.path).not.toContain('?');
    expect(ingress.edge_headers['cf-ray']!.length).toBeLessThanOrEqual(256);
    expect(ingress.edge_headers['cf-ray']!.endsWith('…')).toBe(true);
    expect(ingress.slug).toBe('unknown');
    for (const secret of SECRETS) expect(capture.text()).not.toContain(secret);
  });

  it('survives a 1 MB exception message, a cyclic error and a thrown string', async () => {
    const running = await apps.start(agentAppModule({ enabled: true }, { controllers: [HostileController] }), adapter);
    for (const path of ['/hostile/huge-error', '/hostile/cycle', '/hostile/separators', '/hostile/throws-string']) {
      const response = await send(running.url, { method: 'POST', path });
      expect(response.status).toBe(500);
    }
    await waitFor(() => terminals() === 4, 'terminals');
    const rows = capture.rows();
    assertValidRows(rows);
    const errors = rows.filter((row) => row.boundary === 'backend.error.caught');
    expect(errors.map((row) => row.metadata.exception_type)).toEqual(['Error', 'Error', 'Error', 'string']);
    // JSON escaping keeps every separator inside the one line.
    expect(lineOf(errors[2])).not.toMatch(/[\u2028\u2029\r]/);
    expect(errors[2].metadata.message_scrubbed).toBe('line\u2028separator\u2029paragraph\nnewline\r\u0000nul');
    expect(errors[0].metadata.truncated).toBe(true);
    expect(Buffer.byteLength(lineOf(errors[0]) ?? "")).toBeLessThan(16384);
    for (const secret of SECRETS) expect(capture.text()).not.toContain(secret);
    // The app is still serving.
    expect((await send(running.url, { path: '/json' })).status).toBe(200);
  });

  it('12 pipelined requests on one connection: 12 terminals, and one timeout listener on the socket', async () => {
    const running = await apps.start(agentAppModule({ enabled: true }), adapter);
    // Track how many 'timeout' listeners the server-side socket holds at most.
    let timeoutListeners = 0;
    let mostTimeoutListeners = 0;
    running.app.getHttpServer().on('connection', (socket: import('node:net').Socket) => {
      timeoutListeners = socket.listenerCount('timeout');
      socket.on('newListener', (event: string) => {
        if (event === 'timeout') mostTimeoutListeners = Math.max(mostTimeoutListeners, ++timeoutListeners);
      });
      socket.on('removeListener', (event: string) => {
        if (event === 'timeout') timeoutListeners--;
      });
    });
    const pipelined = Array.from({ length: 12 }, () => 'GET /answer HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n').join('');
    const answer = await sendRaw(running.url, pipelined);
    expect(answer.match(/HTTP\/1\.1 200/g)).toHaveLength(12);
    await waitFor(() => terminals() === 12, 'terminals');
    assertValidRows(capture.rows(), { tier: 'default' });
    expect(mostTimeoutListeners).toBeLessThanOrEqual(2); // Node's own, and CVDIAG's one
  });
});
