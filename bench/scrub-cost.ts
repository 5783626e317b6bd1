/**
 * Cost of `scrub()` per call (table 1c): ordinary messages, messages with
 * secrets, 2 KB adversarial inputs built from every family's literal (the
 * worst of them reported), and 1 MB inputs (cut at the scan limit, so they
 * should cost what 2 KB costs). Interleaved batch by batch in one child process.
 */
import { scrub } from '../lib/scrub/scrub';
import { TOKEN_RULES } from '../lib/scrub/token-rules';
import { runAsChild } from './child';
import { median, quantile } from './stats';

export interface ScrubResult {
  input: string;
  chars: number;
  /** Per call, from batch means, ns. */
  medianNs: number;
  p99Ns: number;
  /** For the adversarial class: how many inputs it covers (the row shows the slowest). */
  inputs?: number;
  /** The slowest adversarial input's name. */
  slowest?: string;
  targetNs: number;
}

export interface ScrubConfig {
  batchSize: number;
  batches: number;
  warmupBatches: number;
}

const CLEAN_300 =
  'Error: upstream request to the completion endpoint failed after 3 attempts (status 503, service unavailable). ' +
  'The agent loop gave up on run 0190a9c0-1a2b-7c3d-8e4f-5a6b7c8d9e0f at step 12 while streaming TEXT_MESSAGE_CONTENT; ' +
  'see /var/log/agent/worker-2.log for the full context.';
const TWO_SECRETS_300 =
  'Error: upstream rejected the request: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJl ' +
  'and the fallback key sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOpQrStUvWx was refused too; run 0190a9c0-1a2b-7c3d-8e4f at step 12, ' +
  'see /var/log/agent/worker-2.log.';

/** 2 KB of `unit` repeated. */
function twoKb(unit: string): string {
  return unit.repeat(Math.ceil(2048 / unit.length)).slice(0, 2048);
}

/** Every shape that could make a finder rescan: each family's literal repeated, with and without a body, and the finders' separators. */
function adversarialInputs(): Array<[string, string]> {
  const inputs: Array<[string, string]> = [
    ['spaces', ' '.repeat(2048)],
    ['letters', 'a'.repeat(2048)],
    ['bearer ', twoKb('bearer ')],
    ['password="', twoKb('password="')],
    ['token: ', twoKb('token: ')],
    ['api_key=', twoKb('api_key=')],
    ['a_ … password', `${'a_'.repeat(1020)}password`],
    ['eyJ-', twoKb('eyJ-')],
    ['eyJ', twoKb('eyJ')],
    ['eyJabcdefgh.', twoKb('eyJabcdefgh.')],
    ['http://', twoKb('http://')],
    ['x://@', `x://${'@'.repeat(2044)}`],
    ['x://u:/', `x://u:${'/'.repeat(2042)}`],
    ['-----BEGIN ', twoKb('-----BEGIN ')],
    ['-----BEGIN PRIVATE KEY-----', twoKb('-----BEGIN PRIVATE KEY-----')],
    ['a1bQ~', twoKb('a1bQ~')],
    ['1234567890:AA', twoKb('1234567890:AA')],
    ['%41', twoKb('%41')],
    ['\\"', twoKb('\\"')],
  ];
  for (const rule of TOKEN_RULES) {
    inputs.push([`${rule.prefix}…`, twoKb(rule.prefix)]);
    inputs.push([`${rule.prefix}-…`, twoKb(`${rule.prefix}-`)]);
    inputs.push([`${rule.prefix}a…`, twoKb(`${rule.prefix}a`)]);
  }
  return inputs;
}

function time(input: string, config: ScrubConfig): number[] {
  let sink = 0;
  const samples: number[] = [];
  for (let batch = 0; batch < config.warmupBatches + config.batches; batch++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < config.batchSize; i++) sink += scrub(input).length;
    const ns = Number(process.hrtime.bigint() - started) / config.batchSize;
    if (batch >= config.warmupBatches) samples.push(ns);
  }
  if (sink === 0) throw new Error('nothing scrubbed');
  return samples;
}

async function measure(config: ScrubConfig): Promise<ScrubResult[]> {
  const results: ScrubResult[] = [];
  const row = (input: string, text: string, targetNs: number) => {
    const samples = time(text, config);
    results.push({ input, chars: text.length, medianNs: median(samples), p99Ns: quantile(samples, 0.99), targetNs });
  };
  row('300-char message, no secret', CLEAN_300, 2_000);
  row('300-char message, two secrets', TWO_SECRETS_300, 50_000);
  // Adversarial: a shorter run per input, then the slowest again at full length.
  const adversarial = adversarialInputs();
  const quick = { ...config, batches: Math.max(3, Math.floor(config.batches / 10)) };
  let slowest = adversarial[0]!;
  let slowestNs = 0;
  for (const entry of adversarial) {
    const ns = median(time(entry[1], quick));
    if (ns > slowestNs) [slowest, slowestNs] = [entry, ns];
  }
  const samples = time(slowest[1], config);
  results.push({
    input: '2 KB adversarial, slowest of all',
    chars: slowest[1].length,
    medianNs: median(samples),
    p99Ns: quantile(samples, 0.99),
    inputs: adversarial.length,
    slowest: slowest[0],
    targetNs: 50_000,
  });
  const megabyte = `${CLEAN_300} ${TWO_SECRETS_300} `.repeat(Math.ceil((1 << 20) / 600)).slice(0, 1 << 20);
  row('1 MB message with secrets (cut at the scan limit)', megabyte, 50_000);
  row('1 MB adversarial (`sk-` repeated)', 'sk-'.repeat(350_000), 50_000);
  return results;
}

if (require.main === module) runAsChild(measure);
