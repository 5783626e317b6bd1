// Nest 11.1.4, the oldest version the peer range allows: the whole e2e suite
// but the files that need features Nest added later. See ../jest-compat.cjs.
module.exports = require('../jest-compat.cjs')(__dirname, {
  // Added after 11.1.4: streamed handler bodies (12.4), @SseSignal and maxPendingDataLength (11.2).
  testPathIgnorePatterns: ['/node_modules/', 'streaming-bodies', 'sse-limits'],
});
