import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root (the package named nestjs-cvdiag), found from the working directory upwards. */
export function repoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'nestjs-cvdiag') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('not inside the nestjs-cvdiag repository');
    dir = parent;
  }
}

/** The CommonJS build of the package (`npm run build`), for fixtures run in a child process. */
export function builtCommonJsEntry(): string {
  return join(repoRoot(), 'dist/cjs/index.js');
}
