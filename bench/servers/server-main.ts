/**
 * Child process: one Nest server under test. Its stdout (where StdoutSink
 * writes CVDIAG rows) is a file opened by the parent, never a pipe, so a full
 * pipe can neither block the server nor make the sink drop rows.
 *
 * IPC protocol: it sends {type:'ready', port}; it answers {type:'cpu'} with
 * its CPU time so far, {type:'snapshot'}
 * with heap and open resources after forced GC (needs --expose-gc for that),
 * and {type:'stop'} by closing the app and exiting by itself.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import { BenchAppModule } from './bench-app';
import type { ModuleMode } from './modes';

export type AdapterName = 'express' | 'fastify';

export interface ServerSpec {
  adapter: AdapterName;
  mode: ModuleMode;
}

export interface Snapshot {
  heapUsed: number;
  /** process.getActiveResourcesInfo(), counted by kind. */
  resources: Record<string, number>;
  openConnections: number;
}

export type ServerMessage =
  | { type: 'ready'; port: number }
  | { type: 'cpu'; micros: number }
  | { type: 'snapshot'; value: Snapshot }
  | { type: 'stopped' };

/**
 * CPU the server process used so far (user + system, µs). Per request it is a
 * steadier measure than req/s on a small shared machine, where the load
 * generator competes for the same cores.
 */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function start(spec: ServerSpec): Promise<void> {
  const module = BenchAppModule.register(spec.mode, spec.adapter);
  const app: INestApplication =
    spec.adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter() as never, { logger: false })
      : await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  const { port } = server.address() as { port: number };

  process.on('message', (message: { type: string }) => {
    if (message.type === 'snapshot') void snapshot(server).then((value) => process.send!({ type: 'snapshot', value }));
    if (message.type === 'cpu') process.send!({ type: 'cpu', micros: cpuMicros() } satisfies ServerMessage);
    if (message.type === 'stop') void stop(app);
  });
  // The parent went away: do not linger.
  process.on('disconnect', () => void stop(app));
  process.send!({ type: 'ready', port } satisfies ServerMessage);
}

let stopping = false;
async function stop(app: INestApplication): Promise<void> {
  if (stopping) return;
  stopping = true;
  await app.close();
  if (process.connected) process.send!({ type: 'stopped' } satisfies ServerMessage, () => process.disconnect());
}

/** Heap after full GCs, once no connection is open (bounded wait), and what keeps the loop alive. */
async function snapshot(server: Server): Promise<Snapshot> {
  const deadline = Date.now() + 5000;
  let openConnections = await connectionCount(server);
  while (openConnections > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    openConnections = await connectionCount(server);
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) {
    gc?.();
    // Let finalizers and weak callbacks run between collections.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  return { heapUsed: process.memoryUsage().heapUsed, resources, openConnections };
}

function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((error, count) => resolve(error ? -1 : count)));
}

start(JSON.parse(process.argv[2]) as ServerSpec).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
  if (process.connected) process.disconnect();
});
