/** Preloaded (`--require`) into the `otel-http` server: instrumentation before `http` loads. */
import { registerOtelHttp } from './otel-setup';

registerOtelHttp();
