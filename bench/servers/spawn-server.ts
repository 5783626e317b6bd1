import { ChildProcess, fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR } from '../paths';
import { otelPreloadOf } from './modes';
import type { ServerMessage, ServerSpec, Snapshot } from './server-main';

export interface RunningServer {
  url: string;
  pid: number;
  snapshot(): Promise<Snapshot>;
  /** CPU time the server process used so far, µs. */
  cpuMicros(): Promise<number>;
  /** Closes the app and waits for the process to exit (killed after a bound). */
  stop(): Promise<void>;
}

/**
 * Forks a server child whose stdout goes to `logFile` (a file the child writes
 * synchronously, as in production with stdout redirected) and waits for its port.
 */
export function spawnServer(spec: ServerSpec, logFile: string, execArgv: string[] = [], execPath = process.execPath): Promise<RunningServer> {
  const stdoutFd = openSync(logFile, 'w');
  const child = fork(join(BUILD_DIR, 'servers', 'server-main.js'), [JSON.stringify(spec)], {
    execPath,
    execArgv: ['--no-warnings=ExperimentalWarning', ...preload(spec), ...execArgv],
    stdio: ['ignore', stdoutFd, 'inherit', 'ipc'],
    env: benchEnv(),
  });
  closeSync(stdoutFd); // the child has its own copy

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server ${spec.adapter}/${spec.mode} did not start within 20 s`));
    }, 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server ${spec.adapter}/${spec.mode} exited with code ${code} before it was ready`));
    });
    child.on('message', (message: ServerMessage) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(handle(child, message.port));
    });
  });
}

/**
 * The environment of a server under test: options decide enablement and tier,
 * so the emitter switch is removed; the deployment label allows the debug tier.
 */
export function benchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SHOWCASE_ENV: 'development' };
  for (const name of ['CVDIAG_BACKEND_EMITTER', 'CVDIAG_DEBUG', 'CVDIAG_VERBOSE', 'CVDIAG_DEBUG_ALLOW_LIST']) delete env[name];
  return env;
}

/** Sends one request message and resolves with the child's reply of the same type. */
function ask<T extends ServerMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<ServerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`server did not answer "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: ServerMessage): void => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as Extract<ServerMessage, { type: T }>);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

function handle(child: ChildProcess, port: number): RunningServer {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    snapshot: async () => (await ask(child, 'snapshot', 15_000)).value,
    cpuMicros: async () => (await ask(child, 'cpu', 5_000)).micros,
    stop: async () => {
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function preload(spec: ServerSpec): string[] {
  const file = otelPreloadOf(spec.mode);
  return file ? ['--require', join(BUILD_DIR, 'servers', file)] : [];
}
