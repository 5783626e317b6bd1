import { fork, ForkOptions } from 'node:child_process';
import { join } from 'node:path';
import { BUILD_DIR } from './paths';

/**
 * Each measurement runs in a fresh child process, so one part's garbage, JIT
 * state and open handles cannot bend another part's numbers. The child reports
 * one result over IPC and exits; the parent bounds how long it waits.
 */
type ChildMessage<T> = { type: 'result'; value: T } | { type: 'error'; message: string };

/** In the child: runs `work` with the JSON argument and reports its result. */
export function runAsChild<A, T>(work: (arg: A) => Promise<T>): void {
  const arg = JSON.parse(process.argv[2] ?? '{}') as A;
  work(arg).then(
    (value) => send({ type: 'result', value }),
    (error: unknown) => send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
}

function send<T>(message: ChildMessage<T>): void {
  process.send!(message, () => process.disconnect());
}

/** In the parent: forks a compiled bench entry and resolves with its result. */
export function forkForResult<A, T>(entry: string, arg: A, timeoutMs: number, options: ForkOptions = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(join(BUILD_DIR, entry), [JSON.stringify(arg)], {
      execArgv: ['--no-warnings=ExperimentalWarning'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      ...options,
    });
    let settled: ChildMessage<T> | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (message: ChildMessage<T>) => (settled = message));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (settled?.type === 'result') resolve(settled.value);
      else if (settled?.type === 'error') reject(new Error(`${entry} failed: ${settled.message}`));
      else reject(new Error(`${entry} exited with code ${code} without a result`));
    });
  });
}
