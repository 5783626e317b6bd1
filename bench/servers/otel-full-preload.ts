/** Preloaded (`--require`) into the `otel` server: instrumentation before `http` and Nest load. */
import { registerOtelFull } from './otel-setup';

registerOtelFull();
