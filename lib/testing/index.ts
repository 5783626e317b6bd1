/**
 * `nestjs-cvdiag/testing`: for the e2e tests of apps that use CvdiagModule.
 * Capture an app's rows, wait for a request to settle, assert on it, and
 * drive requests (streams, disconnects) from the test. See README "Testing".
 */
export { CvdiagCapture, CvdiagCaptureError } from './capture.js';
export type { CaptureOptions } from './capture.js';
export { CapturedRequest } from './captured-request.js';
export { lineOf, rowsFromOutput } from './captured-rows.js';
export { newTestId } from './test-id.js';
export { openStream, streamRequest, TestStream } from './stream-client.js';
export type { RequestTarget, SseEvent, StreamEnd, StreamRequestOptions, StreamResult, TestRequest } from './stream-client.js';
export { assertBoundariesInOrder, assertCvdiagContract, assertEndedWith, assertNoSecret } from './assertions.js';
export type { BoundaryName, CvdiagEnding, RowsLike } from './assertions.js';
export { assertRequestInvariants, assertValidRow, assertValidRows, CvdiagAssertionError, UUIDV7_PATTERN } from './contract.js';
export type { ContractOptions, InvariantOptions } from './contract.js';
export { cvdiagMatchers } from './matchers.js';
export type { CvdiagMatchers } from './matchers.js';
export { renderTimeline } from '../analysis/timeline.js';
export type { CvdiagBoundary, CvdiagRow, CvdiagTerminalBoundary, CvdiagTerminationKind } from '../envelope/envelope.types.js';
