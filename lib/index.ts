export { CvdiagModule } from './cvdiag.module';
export { CVDIAG_MODULE_OPTIONS } from './cvdiag.module-definition';
export { CvdiagService } from './cvdiag.service';
export type { CvdiagCorrelation } from './cvdiag.service';
export { AgentEntry } from './work/agent-entry.decorator';
export type { AgentEntryOptions } from './work/agent-entry.decorator';
export { LlmCall } from './work/llm-call.decorator';
export type { LlmCallOptions } from './work/llm-call.decorator';
export { SkipCvdiag } from './http/skip-cvdiag.decorator';
export { scrub } from './scrub/scrub';
export { StdoutSink } from './sinks/stdout.sink';
export type { StdoutSinkOptions } from './sinks/stdout.sink';
export type { CvdiagSink } from './sinks/cvdiag-sink.interface';
export type { CvdiagModuleOptions } from './options/cvdiag-options.interface';
export { CvdiagOptionsError } from './options/validate-options';
export { BACKEND_BOUNDARIES } from './envelope/boundaries';
export type {
  CvdiagBoundary,
  CvdiagEdgeHeaderName,
  CvdiagEdgeHeaders,
  CvdiagEnvelope,
  CvdiagOutcome,
  CvdiagTier,
} from './envelope/envelope.types';
