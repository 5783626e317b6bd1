// The repository's e2e suite, run against NestJS 11 (CommonJS) and the BUILT
// package: this folder installs `nestjs-cvdiag` from ../.. as a copy
// (.npmrc install-links=true), so its dist/ resolves @nestjs/* v11 from here.
// The test files are the same ones `npm test` runs on Nest 12; the mapper sends
// every import of Nest, rxjs and the library to this folder's node_modules.
const here = __dirname;
const modules = `${here}/node_modules`;

module.exports = {
  rootDir: '../..',
  roots: ['<rootDir>/test'],
  testEnvironment: 'node',
  testMatch: ['**/*.e2e-spec.ts', '**/scrub.spec.ts'],
  // Nest 11 does not stream async iterables or web streams returned by handlers.
  testPathIgnorePatterns: ['/node_modules/', 'streaming-bodies'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: `${here}/tsconfig.json` }],
  },
  moduleNameMapper: {
    '^nestjs-cvdiag$': `${modules}/nestjs-cvdiag`,
    '^@nestjs/(common|core|testing|microservices|platform-express|platform-fastify)(/.*)?$': `${modules}/@nestjs/$1$2`,
    '^rxjs(/.*)?$': `${modules}/rxjs$1`,
    '^reflect-metadata$': `${modules}/reflect-metadata`,
  },
  testTimeout: 30000,
};
