import { ConsoleLogger, Controller, Get, Module } from '@nestjs/common';
import { describe, expect, it } from '@jest/globals';
import { CvdiagModule } from 'nestjs-cvdiag';
import { ScrubbingLogger } from '../compat/consumers/shared/src/scrubbing.logger';
import { useApps } from './support/harness';
import { send } from './support/http-client';
import { ADAPTERS } from './support/nest-app';

const KEY = 'sk-proj-Ab12Cd34Ef56Gh78Ij90KlMnOp';

@Controller()
class FailingController {
  @Get('fail')
  fail(): never {
    throw new Error(`upstream rejected ${KEY}`);
  }
}

@Module({ imports: [CvdiagModule.forRoot({ enabled: false })], controllers: [FailingController] })
class FailingModule {}

/** What the process writes to stdout and stderr while `run` runs (Nest's logger writes there). */
async function printed(run: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }) as typeof stream.write;
  }
  try {
    await run();
  } finally {
    streams.forEach((stream, index) => (stream.write = originals[index] as typeof stream.write));
  }
  return chunks.join('');
}

describe.each(ADAPTERS)("the README's ScrubbingLogger recipe on %s", (adapter) => {
  const apps = useApps();

  it.each([
    ['ConsoleLogger', true, () => new ConsoleLogger()],
    ['ScrubbingLogger', false, () => new ScrubbingLogger()],
  ] as const)("%s: Nest's log of an unhandled error shows the key: %s", async (_name, shows, logger) => {
    const output = await printed(async () => {
      const running = await apps.start(FailingModule, adapter, undefined, logger());
      expect((await send(running.url, { path: '/fail' })).status).toBe(500);
    });
    // Nest logged the error, its message and its stack.
    expect(output).toContain('upstream rejected');
    expect(output).toMatch(/at FailingController\.fail/);
    expect(output.includes(KEY)).toBe(shows);
    if (!shows) expect(output).toContain('upstream rejected [REDACTED]');
  });
});
