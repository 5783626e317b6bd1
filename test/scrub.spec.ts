import { describe, expect, it } from '@jest/globals';
import { scrub } from 'nestjs-cvdiag';
import { errorMetadata } from '../lib/http/error-metadata';
import { redactJwts, redactUrlUserinfo, scrubPath } from '../lib/scrub/scrub';
import { repoRoot } from './support/repo-root';
import { join } from 'node:path';
import {
  BEARER_PATTERN,
  KEY_VALUE_PATTERN,
  NEEDED_FOR_BEARER,
  NEEDED_FOR_KEY_VALUE,
  NEEDED_FOR_PROVIDER_KEY,
  PROVIDER_KEY_PATTERN,
} from '../lib/scrub/secret-patterns';

/** Inputs with one secret each, and a part of the secret that must not survive. */
const SECRETS: Array<[string, string]> = [
    ['Authorization: Bearer abc.def-ghi_123==', 'abc.def'],
    ['bearer lowercase-token', 'lowercase-token'],
    ['BEARER SHOUTED', 'SHOUTED'],
    ['key sk-test-12345 here', 'sk-test-12345'],
    ['sk-proj-AbCdEf0123456789', 'AbCdEf0123456789'],
    ['pk-live-0123456789', 'pk-live'],
    ['rk_test_abcdefgh1234', 'rk_test_abcdefgh1234'],
    ['token ghp_0123456789abcdefABCDEF', 'ghp_0123456789'],
    ['xoxb-1234-5678-abcdefgh', 'xoxb-1234'],
    ['AKIAABCDEFGHIJKLMNOP', 'AKIAABCDEFGHIJKLMNOP'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl', 'eyJzdWIiOiIxMjM0NSJ9'],
    ['api_key=abc123', 'abc123'],
    ['{"api-key": "quoted secret"}', 'quoted secret'],
    ['password: hunter2', 'hunter2'],
    ['client_secret=s3cr3t&x=1', 's3cr3t'],
    ['authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
    ['hf_abcdefghijklmnopqrstuvwx in the url', 'hf_abcdefghij'],
    ['google AIzaSyA1234567890abcdefghijklmnopqrstu', 'AIzaSyA1234567890'],
    ['github_pat_11ABCDEFGHIJKLMNOPQRSTUV_xyz', 'github_pat_11ABCDEF'],
    ['ASIAABCDEFGHIJKLMNOP session', 'ASIAABCDEFGHIJKLMNOP'],
    ['stripe sk_live_abcdefgh123', 'sk_live_abcdefgh123'],
    ['refresh_token=r3fr3sh', 'r3fr3sh'],
];

describe('scrub()', () => {
  it.each(SECRETS)('redacts %j', (input, secret) => {
    const output = scrub(input);
    expect(output).not.toContain(secret);
    expect(output).toContain('[REDACTED]');
  });

  it.each(SECRETS)('skips no pass that %j needs: each quick check finds what its pattern finds', (input) => {
    const families: Array<[RegExp, RegExp]> = [
      [KEY_VALUE_PATTERN, NEEDED_FOR_KEY_VALUE],
      [BEARER_PATTERN, NEEDED_FOR_BEARER],
      [PROVIDER_KEY_PATTERN, NEEDED_FOR_PROVIDER_KEY],
    ];
    let found = 0;
    for (const [pattern, needed] of families) {
      if (!new RegExp(pattern.source, pattern.flags).test(input)) continue;
      found++;
      expect(needed.test(input)).toBe(true);
    }
    // JWTs have no regex (see redactJwts); their quick check is the literal `eyJ`.
    if (redactJwts(input) !== input) {
      found++;
      expect(input.includes('eyJ')).toBe(true);
    }
    expect(found).toBeGreaterThan(0);
  });

  it.each([
    ['https://user:pw@host/path', 'https://[REDACTED]@host/path'],
    ['postgres://token@db:5432/app', 'postgres://[REDACTED]@db:5432/app'],
    ['http://a@b@host/x', 'http://[REDACTED]@host/x'],
    ['see https://host/path?email=a@b.c#frag@x', 'see https://host/path?email=a@b.c#frag@x'],
    ['https://host/user@path', 'https://host/user@path'],
  ])('URL userinfo only: %j', (input, expected) => {
    expect(scrub(input)).toBe(expected);
  });

  it.each(['ask-me-later', 'task-list', 'risk-assessment', 'max_tokens: 100', 'tokens=5', 'plain text'])('keeps %j', (input) => {
    expect(scrub(input)).toBe(input);
  });

  it('maps null and undefined to "", other values to text', () => {
    expect(scrub(null)).toBe('');
    expect(scrub(undefined)).toBe('');
    expect(scrub(42)).toBe('42');
    expect(scrub(new Error('sk-test-12345 failed'))).toBe('Error: [REDACTED] failed');
    const cyclic: Record<string, unknown> = { api_key: 'x' };
    cyclic.self = cyclic;
    expect(scrub(cyclic)).toContain('[circular]');
  });

  it('scans 2048 characters and counts the rest', () => {
    const input = `${'a '.repeat(1000)}sk-test-12345 ${'b '.repeat(5000)}`;
    const output = scrub(input);
    expect(output.startsWith(`${'a '.repeat(1000)}[REDACTED] b`)).toBe(true);
    expect(output).not.toContain('sk-test-12345');
    const [, kept, dropped] = /^([\s\S]*)…\[unscanned:(\d+)\]$/.exec(output)!;
    // 2048 characters were scanned; the key's redaction shortened them.
    expect(kept.length).toBe(2048 - 'sk-test-12345'.length + '[REDACTED]'.length);
    expect(Number(dropped)).toBe(input.length - 2048);
  });

  it.each([
    ['AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7'],
    ['ghp_0123456789abcdefABCDEF0123456789', 'ghp_0123456789'],
    ['AIzaSyA1234567890abcdefghijklmnopqrstu', 'AIzaSyA123456789'],
  ])('does not keep the first part of %s when it straddles the scan limit', (secret, part) => {
    for (const start of [2030, 2040, 2046]) {
      const input = `${'x '.repeat(start / 2)}${secret} and more ${'y'.repeat(3000)}`;
      const output = scrub(input);
      expect(output).not.toContain(part);
      // The partial token is counted as unscanned: kept + dropped = the whole input.
      const [, kept, dropped] = /^([\s\S]*)…\[unscanned:(\d+)\]$/.exec(output)!;
      expect(kept.length + Number(dropped)).toBe(input.length);
    }
  });

  it('never splits a surrogate pair at the scan limit', () => {
    const output = scrub(`${'a'.repeat(2047)}😀tail`);
    expect(output).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('runs every pattern over 100k-character adversarial inputs (each is linear; the jest timeout bounds this)', () => {
    const adversarial = [
      'a'.repeat(100_000),
      'bearer '.repeat(20_000),
      'sk-'.repeat(30_000),
      `${'http://'.repeat(20_000)}@`,
      `x://${'@'.repeat(50_000)}`,
      'api_key='.repeat(20_000),
      `${'a_'.repeat(50_000)}password`,
      `${'eyJ'.repeat(30_000)}.`,
      'eyJ-'.repeat(25_000),
      `${'eyJ-'.repeat(10_000)}.${'eyJ-'.repeat(10_000)}.`,
      `authorization:${' '.repeat(50_000)}x`,
    ];
    // scrub() only scans 2048 characters, so the patterns are run on the whole inputs directly.
    for (const input of adversarial) {
      for (const pattern of [KEY_VALUE_PATTERN, BEARER_PATTERN, PROVIDER_KEY_PATTERN]) {
        expect(typeof input.replace(pattern, '')).toBe('string');
      }
      expect(typeof redactUrlUserinfo(input)).toBe('string');
      expect(typeof redactJwts(input)).toBe('string');
      expect(typeof scrub(input)).toBe('string');
    }
  });
});

describe('percent-encoded text', () => {
  it.each([
    ['fetch failed ?api_key=AbC%2CdEf', ['AbC', 'dEf']],
    ['postgres://app:s3cr%2Ft@db/x; token=abc', ['s3cr', 'abc']],
    ['GET /x/api_key%3Dhunter2pass', ['hunter2pass']],
    ['/p/Bearer%20abcdefgh.ijklmnop.qrst', ['abcdefgh.ijklmnop']],
  ])('%s: scrubbed as written, then decoded and scrubbed again', (input, parts) => {
    const output = scrub(input);
    for (const part of parts) expect(output).not.toContain(part);
    expect(output).toContain('[REDACTED]');
  });

  it('keeps the text as written when decoding reveals nothing', () => {
    expect(scrub('/files/report%202026.pdf')).toBe('/files/report%202026.pdf');
  });

  it('scrubPath gives the decoded path, scrubbed', () => {
    expect(scrubPath('/db/postgres%3A%2F%2Fuser%3Apw0rd%40host')).toBe('/db/postgres://[REDACTED]@host');
    expect(scrubPath('/files/report%202026.pdf')).toBe('/files/report 2026.pdf');
  });
});

describe('JWTs', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl';
  it.each([
    [`token ${jwt} end`, 'token [REDACTED] end'],
    [`(${jwt})`, '([REDACTED])'],
    [`${jwt}.${jwt}`, '[REDACTED].[REDACTED]'],
    [`x${jwt}`, `x${jwt}`], // no word boundary before it, as the pattern it replaces
    ['eyJshort.abcdefgh.abcd', 'eyJshort.abcdefgh.abcd'],
    ['eyJabcdefgh.short.abcd', 'eyJabcdefgh.short.abcd'],
    [`eyJ-eyJ-eyJ-${jwt}`, '[REDACTED]'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.sk-abcdefghijkl', '[REDACTED]'],
  ])('%s → %s', (input, expected) => {
    expect(redactJwts(input)).toBe(expected);
  });
});

describe('stack briefs in error metadata', () => {
  const cwd = process.cwd();
  const briefOf = (...frames: string[]) => {
    const error = new Error('boom');
    error.stack = `Error: boom${frames.map((frame) => `\n    at ${frame}`).join('')}`;
    return errorMetadata(error) as { stack_brief: Array<{ file: string; line: number | null }>; truncated: boolean };
  };

  it('makes ESM file URLs relative to the working directory, like CommonJS paths', () => {
    const { stack_brief } = briefOf(
      `AppController.answer (file://${cwd}/dist/app.controller.js:12:5)`,
      `file://${cwd}/dist/my%20dir/main.js:3:1`,
      `handler (${cwd}/dist/app.service.js:7:9)`,
    );
    expect(stack_brief).toEqual([
      { file: 'dist/app.controller.js', line: 12 },
      { file: 'dist/my dir/main.js', line: 3 },
      { file: 'dist/app.service.js', line: 7 },
    ]);
  });

  it("leaves out CVDIAG's own frames and Node's internals when the app has frames of its own", () => {
    const own = join(repoRoot(), 'lib/work/instrument-method.ts');
    const { stack_brief } = briefOf(
      `AgentService.run (${cwd}/src/agent.service.ts:20:11)`,
      `instrumented (${own}:39:30)`,
      `AsyncLocalStorage.run (node:internal/async_local_storage/async_context_frame:63:14)`,
      `new Promise (<anonymous>)`,
      `RouterExecutionContext.handler (${cwd}/node_modules/@nestjs/core/router/router-execution-context.js:46:28)`,
      `process.processTicksAndRejections (node:internal/process/task_queues:105:5)`,
      `AgentController.answer (file://${cwd}/src/agent.controller.ts:9:3)`,
    );
    expect(stack_brief).toEqual([
      { file: 'src/agent.service.ts', line: 20 },
      { file: 'node_modules/@nestjs/core/router/router-execution-context.js', line: 46 },
      { file: 'src/agent.controller.ts', line: 9 },
    ]);
  });

  it('keeps every frame, up to 8, when none is the app\'s', () => {
    const { stack_brief } = briefOf(
      `Router.handle (${cwd}/node_modules/express/lib/router.js:1:2)`,
      `process.processTicksAndRejections (node:internal/process/task_queues:105:5)`,
    );
    expect(stack_brief.map((frame) => frame.file)).toEqual(['node_modules/express/lib/router.js', 'node:internal/process/task_queues']);
  });

  it('holds 8 app frames at most and says when it cut', () => {
    const frames = Array.from({ length: 12 }, (_, i) => `f${i} (${cwd}/src/f${i}.js:${i + 1}:1)`);
    const { stack_brief, truncated } = briefOf(...frames);
    expect(stack_brief).toHaveLength(8);
    expect(stack_brief[7]).toEqual({ file: 'src/f7.js', line: 8 });
    expect(truncated).toBe(true);
  });

  it('points at the app for a real error thrown in a promise callback: no frame of node:internal', async () => {
    const thrown = await Promise.resolve().then(() => {
      throw new Error('from the app');
    }).catch((error: unknown) => error);
    const { stack_brief } = errorMetadata(thrown) as { stack_brief: Array<{ file: string }> };
    expect(stack_brief[0].file).toMatch(/(^|\/)test\/scrub\.spec\.ts$/);
    expect(stack_brief.filter((frame) => frame.file.startsWith('node:') || frame.file.startsWith('lib/'))).toEqual([]);
  });

  it('are scrubbed before they are cut to their last 200 characters, so a token at the cut cannot leave its tail', () => {
    const file = `/srv/${'a'.repeat(300)}/ghp_${'T'.repeat(36)}/${'b'.repeat(180)}.js`;
    const error = new Error('boom');
    error.stack = `Error: boom\n    at handler (${file}:12:5)`;
    const frames = errorMetadata(error).stack_brief as Array<{ file: string; line: number }>;
    expect(frames).toHaveLength(1);
    expect(frames[0].line).toBe(12);
    expect(frames[0].file.length).toBeLessThanOrEqual(200);
    expect(frames[0].file.endsWith(`${'b'.repeat(180)}.js`)).toBe(true);
    expect(frames[0].file).not.toContain('TTTT');
  });
});
