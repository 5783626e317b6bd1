// Nest 12 is ESM-only and Jest's CommonJS runtime cannot `require` it on Node 20,
// so the suite runs in Jest's ESM mode (see README FAQ "Why does `npm test` pass
// --experimental-vm-modules?"). ts-jest only transpiles; `npm test` type-checks first.
import { readFileSync } from 'node:fs';

const nestVersion = JSON.parse(readFileSync(new URL('./node_modules/@nestjs/core/package.json', import.meta.url), 'utf8')).version;

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  // Tests import the library by its package name, as users do; here it is the source
  // (the packed package is tested by the consumer apps, see compat/consumers).
  // The source's relative imports end in .js, as ESM requires; they resolve to .ts.
  moduleNameMapper: {
    '^nestjs-cvdiag$': '<rootDir>/lib/index.ts',
    '^nestjs-cvdiag/(testing|analysis|otel)$': '<rootDir>/lib/$1/index.ts',
    '^nestjs-cvdiag/testing/(jest|vitest)$': '<rootDir>/lib/testing/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  globals: { __NEST_VERSION__: nestVersion },
  testTimeout: 30000,
};
