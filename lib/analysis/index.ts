/**
 * `nestjs-cvdiag/analysis`: reading rows back, with no Nest dependency. Used by
 * the test kit's messages; the place for tools that read CVDIAG logs.
 */
export { groupByTrace, isSettled, parseRowLine, ROW_PREFIX, terminalOf } from './rows.js';
export { renderTimeline, type CvdiagPaint, type CvdiagTimelineOptions } from './timeline.js';
export { readLogLine, type CvdiagLogLine } from './log-lines.js';
export { judge, VERDICTS, DEFAULT_SLOW_FIRST_BYTE_MS, type CvdiagVerdict, type CvdiagFinding, type CvdiagRequestVerdict, type CvdiagVerdictOptions } from './verdict.js';
export { summarize, CvdiagRequestCollector, type CvdiagRequestSummary, type CvdiagCollectorOptions } from './requests.js';
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
