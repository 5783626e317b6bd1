import { describe, expect, it } from '@jest/globals';
import { scrub } from 'nestjs-cvdiag';
import { errorMetadata } from '../lib/request/error-metadata';
import { scrubPath } from '../lib/scrub/scrub';
import { findSecrets } from '../lib/scrub/find-secrets';
import { TOKEN_RULES } from '../lib/scrub/token-rules';
import { repoRoot } from './support/repo-root';
import { join } from 'node:path';
import { BENIGN, leakedParts, secretSamples } from './fixtures/secret-corpus';

/** Inputs with one secret each, and a part of the secret that must not survive. */
const SECRETS: Array<[string, string]> = [
  ['Authorization: Bearer abc.def-ghi_123==', 'abc.def'],
  ['bearer lowercase-token', 'lowercase-token'],
  ['BEARER SHOUTED', 'SHOUTED'],
  ['key sk-test-12345 here', 'sk-test-12345'],
  ['sk-proj-AbCdEf0123456789', 'AbCdEf0123456789'],
  ['rk_test_abcdefgh1234', 'rk_test_abcdefgh1234'],
  ['token ghp_0123456789abcdefABCDEF0123456789', 'ghp_0123456789'],
  ['xoxb-1234-5678-abcdefgh', 'xoxb-1234'],
  ['AKIAABCDEFGHIJKLMNOP', 'AKIAABCDEFGHIJKLMNOP'],
  ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl', 'eyJzdWIiOiIxMjM0NSJ9'],
  ['api_key=abc123', 'abc123'],
  ['{"api-key": "quoted secret"}', 'quoted secret'],
  ['password: hunter2', 'hunter2'],
  ['client_secret=s3cr3t&x=1', 's3cr3t'],
  ['authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
  ['hf_abcdefghijklmnopqrstuvwxyz0123456789 in the url', 'hf_abcdefghij'],
  ['google AIzaSyA1234567890abcdefghijklmnopqrstu', 'AIzaSyA1234567890'],
  ['github_pat_11ABCDEFGHIJKLMNOPQRSTUV_xyz', 'github_pat_11ABCDEF'],
  ['ASIAABCDEFGHIJKLMNOP session', 'ASIAABCDEFGHIJKLMNOP'],
  ['stripe sk_live_abcdefgh123', 'sk_live_abcdefgh123'],
  ['refresh_token=r3fr3sh', 'r3fr3sh'],
  ['log: password="p4ss word" and more', 'p4ss word'],
  ["{'secret': 'single quoted'}", 'single quoted'],
  ['unterminated password="abcdef', 'abcdef'],
  // A name inside another name's bare value, and two encoded secrets in one path
  ["path=/a/b/secretAccessKey: 'k3y-in-quotes'", 'k3y-in-quotes'],
  ['/AWS_SECRET_ACCESS_KEY=Key0ne/x/aws_secret_access_key%20%3D%20KeyTw0', 'KeyTw0'],
  ['/AWS_SECRET_ACCESS_KEY=Key0ne/x/aws_secret_access_key%20%3D%20KeyTw0', 'Key0ne'],
  ['/db/postgres://[REDACTED]@h/x/postgres://app:pa/ss1@h2/db', 'pa/ss1'],
  // An empty user name; a password with `/` or `#`
  ['redis://:p/ss@host:6379', 'p/ss'],
  ['redis://:s3cr#t@host:6379/0', 's3cr#t'],
  // An encoded `=` with an encoded `,` or `;` in the value
  ['GET /x/api_key%3DAbC%2CdEf', 'dEf'],
  ['/cb?next=%2Flogin%3Fpassword%3Dhunter%3B2xyz', '2xyz'],
  // A token right after an escape of escaped JSON
  ['line1\\nsk-proj-abcdefghijklmnopqrstuvwxyz0123', 'abcdefghijklmnop'],
  ['x\\u003cghp_0123456789abcdefABCDEF0123456789', 'ghp_0123456789'],
  // An Airtable token after a word that starts like one
  [`x.path.patAbCdEfGhIjKlMn.${'a1'.repeat(32)}`, 'AbCdEfGhIjKlMn'],
];

/** How a secret can be written into a text: each family is tried in each. */
const CONTEXTS: Array<[string, (text: string) => string]> = [
  ['alone', (text) => text],
  ['in an error message', (text) => `request failed: ${text} (retrying)`],
  ['in parentheses with a full stop', (text) => `(${text}).`],
  ['on a line of its own', (text) => `first line\n${text}\nlast line`],
  ['in a JSON string', (text) => JSON.stringify({ error: text })],
  ['in escaped JSON', (text) => JSON.stringify(JSON.stringify({ detail: text }))],
  ['in a nested object', (text) => scrub({ cause: { message: text, code: 401 } })],
  ['percent-encoded in a path', (text) => `GET /proxy/${encodeURIComponent(text)}`],
  ['straddling the scan limit', (text) => `${'x '.repeat(1018)}${text} ${'y'.repeat(4000)}`],
  ['after the scan limit', (text) => `${'x'.repeat(3000)} ${text}`],
];

describe('scrub()', () => {
  it.each(SECRETS)('redacts %j', (input, secret) => {
    const output = scrub(input);
    expect(output).not.toContain(secret);
    expect(output).toContain('[REDACTED]');
  });

  const samples = secretSamples();

  it('knows every family of the corpus, in every context: nothing of any secret survives (recall 100%)', () => {
    const leaks: string[] = [];
    for (const sample of samples) {
      for (const [context, place] of CONTEXTS) {
        const output = scrub(place(sample.text));
        const parts = leakedParts(output, sample.secret);
        if (parts.length > 0) leaks.push(`${sample.family} ${context}: ${parts.join(', ')} in ${JSON.stringify(output.slice(0, 300))}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(samples.length).toBeGreaterThanOrEqual(90);
  });

  it.each(BENIGN)('leaves ordinary text unchanged: %j', (input) => {
    expect(scrub(input)).toBe(input);
  });

  it.each(['ask-me-later', 'task-list', 'risk-assessment', 'max_tokens: 100', 'tokens=5', 'plain text'])('keeps %j', (input) => {
    expect(scrub(input)).toBe(input);
  });

  it.each([
    ['https://user:pw@host/path', 'https://[REDACTED]@host/path'],
    ['postgres://token@db:5432/app', 'postgres://[REDACTED]@db:5432/app'],
    ['http://a@b@host/x', 'http://[REDACTED]@host/x'],
    ['postgres://app:pa/ss#1@db/x', 'postgres://[REDACTED]@db/x'],
    ['see https://host/path?email=a@b.c#frag@x', 'see https://host/path?email=a@b.c#frag@x'],
    ['https://host/user@path', 'https://host/user@path'],
    ['https://host:8443/users/@ann', 'https://host:8443/users/@ann'],
  ])('URL userinfo only: %j', (input, expected) => {
    expect(scrub(input)).toBe(expected);
  });

  it('keeps the key name, the separator and the quotes of a named value', () => {
    expect(scrub('password=hunter2 next')).toBe('password=[REDACTED] next');
    expect(scrub('{"apiKey":"abc123","n":1}')).toBe('{"apiKey":"[REDACTED]","n":1}');
    expect(scrub('{\\"token\\":\\"abc123\\"}')).toBe('{\\"token\\":\\"[REDACTED]\\"}');
    expect(scrub('Authorization: Bearer abc123def')).toBe('Authorization: Bearer [REDACTED]');
  });

  it('scrubs the strings of an object before JSON escapes them', () => {
    const output = scrub({ detail: 'config had password="hunter2!" in it', list: ['ok', 'sk-live-0123456789abcdef'] });
    expect(output).not.toContain('hunter2');
    expect(output).not.toContain('0123456789abcdef');
    expect(JSON.parse(output)).toEqual({ detail: 'config had password="[REDACTED]" in it', list: ['ok', '[REDACTED]'] });
  });

  it('lists the families it knows with a prefix of at least two characters, each prefix once', () => {
    const prefixes = TOKEN_RULES.map((rule) => rule.prefix);
    expect(new Set(prefixes).size).toBe(prefixes.length);
    expect(prefixes.every((prefix) => prefix.length >= 2)).toBe(true);
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

  it('writes 2048 characters and counts the rest', () => {
    const input = `${'a '.repeat(1000)}sk-test-12345 ${'b '.repeat(5000)}`;
    const output = scrub(input);
    expect(output.startsWith(`${'a '.repeat(1000)}[REDACTED] b`)).toBe(true);
    expect(output).not.toContain('sk-test-12345');
    const [, kept, dropped] = /^([\s\S]*)…\[unscanned:(\d+)\]$/.exec(output)!;
    // 2048 characters were written; the key's redaction shortened them.
    expect(kept.length).toBe(2048 - 'sk-test-12345'.length + '[REDACTED]'.length);
    expect(Number(dropped)).toBe(input.length - 2048);
  });

  it.each([
    ['AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7'],
    ['ghp_0123456789abcdefABCDEF0123456789', 'ghp_0123456789'],
    ['AIzaSyA1234567890abcdefghijklmnopqrstu', 'AIzaSyA123456789'],
    ['https://ann:hunter2pw@db.internal/x', 'hunter2'],
    ['password="correct horse battery"', 'correct horse'],
    ['Authorization: Bearer abcdefghijklmnop0123', 'abcdefghijklmnop'],
  ])('redacts %s whole when the scan limit falls inside it', (secret, part) => {
    for (let start = 2048 - secret.length; start <= 2048; start++) {
      const input = `${'x'.repeat(start - 1)} ${secret} and more ${'y'.repeat(3000)}`;
      const output = scrub(input);
      expect(output).not.toContain(part);
      // What is written and what is counted add up to the whole input.
      const [, kept, dropped] = /^([\s\S]*)…\[unscanned:(\d+)\]$/.exec(output)!;
      expect(kept.replace('[REDACTED]', '').length + Number(dropped)).toBeLessThanOrEqual(input.length);
    }
  });

  it('never splits a surrogate pair at the scan limit', () => {
    const output = scrub(`${'a'.repeat(2047)}😀tail`);
    expect(output).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('finds secrets in linear time: 100k-character adversarial inputs of every family (the jest timeout bounds this)', () => {
    const adversarial = [
      'a'.repeat(100_000),
      'bearer '.repeat(20_000),
      'sk-'.repeat(30_000),
      'sk-a'.repeat(25_000),
      `${'http://'.repeat(20_000)}@`,
      `x://${'@'.repeat(50_000)}`,
      `x://u:${'/'.repeat(50_000)}`,
      'api_key='.repeat(20_000),
      'password="'.repeat(10_000),
      'token: '.repeat(15_000),
      `${'a_'.repeat(50_000)}password`,
      `${'eyJ'.repeat(30_000)}.`,
      'eyJ-'.repeat(25_000),
      `${'eyJ-'.repeat(10_000)}.${'eyJ-'.repeat(10_000)}.`,
      `authorization:${' '.repeat(50_000)}x`,
      '-----BEGIN '.repeat(10_000),
      '-----BEGIN PRIVATE KEY-----'.repeat(4_000),
      'a1bQ~'.repeat(20_000),
      '1234567890:AA'.repeat(8_000),
      ...TOKEN_RULES.map((rule) => `${rule.prefix}-`.repeat(Math.ceil(50_000 / (rule.prefix.length + 1)))),
      ...TOKEN_RULES.map((rule) => `${rule.prefix}`.repeat(Math.ceil(50_000 / rule.prefix.length))),
    ];
    for (const input of adversarial) {
      expect(Array.isArray(findSecrets(input, false))).toBe(true);
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
    expect(scrub(input)).toBe(expected);
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
