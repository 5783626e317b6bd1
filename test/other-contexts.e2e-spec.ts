import { Controller, INestApplication, Module } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory, MessagePattern, RpcException, Transport } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { firstValueFrom } from 'rxjs';
import { AgentEntry, CvdiagModule } from 'nestjs-cvdiag';
import { StdoutCapture } from './support/cvdiag-capture';
import { DEBUG_ENV, useEnv } from './support/env';
import { ADAPTERS, AdapterName } from './support/nest-app';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createServer } from 'node:net';

/** A loopback port nothing listens on right now (the TCP transport needs a fixed one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

@Controller()
class MathController {
  @MessagePattern('sum')
  @AgentEntry({ agentName: 'rpc-agent' })
  sum(numbers: number[]): number {
    return numbers.reduce((total, value) => total + value, 0);
  }

  @MessagePattern('rpc-error')
  rpcError(): never {
    throw new RpcException({ code: 'E_RPC', detail: 'rejected' });
  }

  @MessagePattern('plain-error')
  plainError(): never {
    throw new Error('plain failure with api_key=abc');
  }
}

function hybridModule(withCvdiag: boolean) {
  @Module({ imports: withCvdiag ? [CvdiagModule.forRoot()] : [], controllers: [MathController] })
  class HybridModule {}
  return HybridModule;
}

/** A hybrid app (HTTP + TCP microservice sharing the app's global enhancers) and a TCP client. */
async function startHybrid(
  adapter: AdapterName,
  withCvdiag: boolean,
  port: number,
  order: 'microservices first' | 'http first',
): Promise<{ app: INestApplication; client: ClientProxy }> {
  const moduleRef = await Test.createTestingModule({ imports: [hybridModule(withCvdiag)] }).compile();
  const app =
    adapter === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter() as never, { logger: false })
      : moduleRef.createNestApplication({ logger: false });
  // Deferred, the RPC handlers are built when the microservices start, after
  // app.init() added CVDIAG's global filter: the filter then sees RPC exceptions.
  const deferInitialization = order === 'http first';
  app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port } }, { inheritAppConfig: true, deferInitialization });
  if (deferInitialization) await app.init();
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  await client.connect();
  return { app, client };
}

async function outcomes(client: ClientProxy): Promise<unknown[]> {
  const settle = (pattern: string, data: unknown) =>
    firstValueFrom(client.send(pattern, data)).then(
      (value: unknown) => ({ value }),
      (error: unknown) => ({ error }),
    );
  return [await settle('sum', [1, 2, 3]), await settle('rpc-error', {}), await settle('plain-error', {})];
}

describe.each(ADAPTERS)('RPC contexts of a hybrid app on %s pass through untouched', (adapter) => {
  useEnv(DEBUG_ENV);
  let capture: StdoutCapture;
  const cleanups: Array<() => Promise<void>> = [];
  beforeEach(() => {
    capture = new StdoutCapture().start();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    capture.stop();
  });

  it.each(['microservices first', 'http first'] as const)('a hybrid app with inheritAppConfig (%s) answers RPC exactly as without CVDIAG, and writes no request rows', async (order) => {
    const baseline = await startHybrid(adapter, false, await freePort(), order);
    const expected = await outcomes(baseline.client);
    await baseline.client.close();
    await baseline.app.close();

    const instrumented = await startHybrid(adapter, true, await freePort(), order);
    cleanups.push(async () => {
      await instrumented.client.close();
      await instrumented.app.close();
    });
    const actual = await outcomes(instrumented.client);

    expect(actual).toEqual(expected);
    expect(expected[0]).toEqual({ value: 6 });
    // No HTTP request was served: the only rows are the decorated handler's, on a trace of its own.
    const boundaries = capture.rows().map((row) => row.boundary);
    expect(boundaries.filter((boundary) => !boundary.startsWith('backend.agent.'))).toEqual([]);
  });
});
