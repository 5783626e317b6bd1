/**
 * The README's Usage and Testing examples are files of the consumer apps
 * (compat/consumers/shared), which CI type-checks and runs against the packed
 * package. A block marked `<!-- file: PATH -->` must be that file, word for word.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './support/repo-root';
import { TOKEN_RULES } from '../lib/scrub/token-rules';

const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/<!-- file: (\S+) -->\n```\w*\n([^]*?)```\n/g)].map(([, path, text]) => ({ path, text }));

describe('README examples', () => {
  it('has the Usage and Testing examples as marked blocks', () => {
    expect(blocks.map((block) => block.path)).toEqual(
      expect.arrayContaining([
        'compat/consumers/shared/src/app.module.ts',
        'compat/consumers/shared/src/llm.client.ts',
        'compat/consumers/shared/test/agent.jest.e2e-spec.ts',
        'compat/consumers/shared/test/agent.vitest.e2e-spec.ts',
      ]),
    );
  });

  it.each(blocks.map((block) => [block.path, block.text]))('shows %s as it is', (path, text) => {
    expect(text).toBe(readFileSync(join(repoRoot(), path), 'utf8'));
  });
});

describe('README: What is scrubbed', () => {
  it.each([...new Set(TOKEN_RULES.map((rule) => rule.family))])('names the family %s', (family) => {
    const section = readme.slice(readme.indexOf('## What is scrubbed'), readme.indexOf('## Sinks'));
    expect(section.replace(/\s+/g, ' ')).toContain(family);
  });
});
