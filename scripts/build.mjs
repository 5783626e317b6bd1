// Builds the package twice from lib/: dist/esm (ES modules, for Nest 12 apps and
// for test runners that load ESM) and dist/cjs (CommonJS, for Nest 11 apps and
// Jest in CommonJS mode). Each folder gets a package.json naming its module
// format, so Node and TypeScript read its .js and .d.ts files right.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
for (const [project, folder, type] of [
  ['tsconfig.build.json', 'dist/esm', 'module'],
  ['tsconfig.build.cjs.json', 'dist/cjs', 'commonjs'],
]) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
  writeFileSync(`${folder}/package.json`, `${JSON.stringify({ type }, null, 2)}\n`);
}
