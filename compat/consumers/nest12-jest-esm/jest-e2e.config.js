/** Jest in ESM mode: test files and the app are ES modules, so the package's ESM build is loaded. */
export default {
  testEnvironment: 'node',
  testRegex: '.e2e-spec.ts$',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
