// The repository's e2e suite, run against an older NestJS (CommonJS) and the
// BUILT package: each compat folder installs `nestjs-cvdiag` from ../.. as a copy
// (.npmrc install-links=true), so its dist/ resolves @nestjs/* from that folder.
// The test files are the ones `npm test` runs on Nest 12; the mapper sends every
// import of Nest, rxjs and the library to the folder's node_modules.
module.exports = function compatConfig(folder, overrides = {}) {
  const modules = `${folder}/node_modules`;
  const nestVersion = require(`${modules}/@nestjs/core/package.json`).version;
  return {
    rootDir: '../..',
    roots: ['<rootDir>/test'],
    testEnvironment: 'node',
    testMatch: ['**/*.e2e-spec.ts', '**/scrub.spec.ts'],
    transform: {
      '^.+\\.ts$': ['ts-jest', { tsconfig: `${__dirname}/tsconfig.compat.json` }],
    },
    moduleNameMapper: {
      '^nestjs-cvdiag$': `${modules}/nestjs-cvdiag`,
      '^nestjs-cvdiag/(testing|analysis|otel)$': `${modules}/nestjs-cvdiag/dist/cjs/$1/index.js`,
      '^nestjs-cvdiag/testing/jest$': `${modules}/nestjs-cvdiag/dist/cjs/testing/jest.js`,
      '^@nestjs/(common|core|testing|microservices|platform-express|platform-fastify)(/.*)?$': `${modules}/@nestjs/$1$2`,
      '^rxjs(/.*)?$': `${modules}/rxjs$1`,
      '^reflect-metadata$': `${modules}/reflect-metadata`,
      // Relative imports of the library's source and build end in .js (ESM style).
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    globals: { __NEST_VERSION__: nestVersion },
    testTimeout: 30000,
    ...overrides,
  };
};
