/**
 * `nestjs-cvdiag/analysis`: reading rows back, with no Nest dependency. Used by
 * the test kit's messages; the place for tools that read CVDIAG logs.
 */
export { groupByTrace, isSettled, parseRowLine, ROW_PREFIX, terminalOf } from './rows.js';
export { renderTimeline } from './timeline.js';
export { isTerminalBoundary, TERMINAL_BOUNDARIES } from '../envelope/boundaries.js';
export type {
  CvdiagBoundary,
  CvdiagEnvelope,
  CvdiagMetadataByBoundary,
  CvdiagRow,
  CvdiagStackFrame,
  CvdiagTerminalBoundary,
  CvdiagTerminationKind,
} from '../envelope/envelope.types.js';
