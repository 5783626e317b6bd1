export { CvdiagModule } from './cvdiag.module.js';
export { CVDIAG_MODULE_OPTIONS } from './cvdiag.module-definition.js';
export { CvdiagService } from './cvdiag.service.js';
export type { CvdiagCorrelation } from './context/correlation-context.js';
export type { CvdiagModuleExtras } from './cvdiag.module-definition.js';
export { CvdiagInterceptor } from './enhancers/cvdiag.interceptor.js';
export { CvdiagExceptionFilter } from './enhancers/cvdiag-exception.filter.js';
export { CvdiagRouteGuard } from './enhancers/cvdiag-route.guard.js';
export { ClientGoneError } from './request/request-state.js';
export { AgentEntry } from './work/agent-entry.decorator.js';
export type { AgentEntryOptions } from './work/agent-entry.decorator.js';
export { LlmCall } from './work/llm-call.decorator.js';
export type { LlmCallOptions } from './work/llm-call.decorator.js';
export { SkipCvdiag } from './enhancers/skip-cvdiag.decorator.js';
export { scrub } from './scrub/scrub.js';
export { StdoutSink } from './sinks/stdout.sink.js';
export type { StdoutSinkOptions } from './sinks/stdout.sink.js';
export type { CvdiagSink } from './sinks/cvdiag-sink.interface.js';
export type { CvdiagModuleOptions, CvdiagOptionsFactory } from './options/cvdiag-options.interface.js';
export { CvdiagOptionsError } from './options/validate-options.js';
export { BACKEND_BOUNDARIES } from './envelope/boundaries.js';
export type {
  CvdiagBoundary,
  CvdiagEdgeHeaderName,
  CvdiagEdgeHeaders,
  CvdiagEnvelope,
  CvdiagMetadataByBoundary,
  CvdiagOutcome,
  CvdiagRow,
  CvdiagStackFrame,
  CvdiagTerminalBoundary,
  CvdiagTerminationKind,
  CvdiagTier,
} from './envelope/envelope.types.js';
