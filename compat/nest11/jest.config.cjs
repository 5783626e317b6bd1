// Nest 11 (latest 11.x): the whole e2e suite. See ../jest-compat.cjs.
module.exports = require('../jest-compat.cjs')(__dirname, {
  // Nest 11 does not stream async iterables or web streams returned by handlers.
  testPathIgnorePatterns: ['/node_modules/', 'streaming-bodies'],
});
