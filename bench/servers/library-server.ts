/**
 * Child process for table 2b (bench/instructions.ts): one Nest server with the
 * `agui` and `json` endpoints of table 2, where CVDIAG comes from a library
 * build given by path (this checkout's dist/cjs, or another commit's), so two
 * versions of the library can be counted in the same harness. Run under
 * valgrind: it writes its port to a file (no IPC channel), and stdout, where
 * rows go, is a file opened by the parent.
 */
import 'reflect-metadata';
import { Controller, Get, Module, Post, Res, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import type * as Library from '../../lib';
import { writeAguiRun, type RawReply } from './agui-events';

export interface LibraryServerSpec {
  /** A CommonJS build of nestjs-cvdiag (a `dist/cjs` folder); it must resolve Nest from this checkout's node_modules. */
  library: string;
  mode: 'none' | 'default' | 'debug';
  adapter: 'express' | 'fastify';
  portFile: string;
}

@Controller()
class InstructionsController {
  /** As table 2's `agui`: POST SSE written by hand, one write per event. */
  @Post('agui')
  agui(@Res() reply: RawReply): void {
    writeAguiRun(reply);
  }

  @Get('json')
  json(): { ok: boolean; items: number[]; message: string } {
    return { ok: true, items: [1, 2, 3], message: 'hello' };
  }
}

@Module({})
class InstructionsAppModule {
  static register(spec: LibraryServerSpec): DynamicModule {
    const controllers = [InstructionsController];
    if (spec.mode === 'none') return { module: InstructionsAppModule, controllers };
    const { CvdiagModule, StdoutSink } = require(spec.library) as typeof Library;
    return { module: InstructionsAppModule, imports: [CvdiagModule.forRoot({ enabled: true, tier: spec.mode, slug: 'bench', sinks: [new StdoutSink()] })], controllers };
  }
}

async function start(spec: LibraryServerSpec): Promise<void> {
  const module = InstructionsAppModule.register(spec);
  const app =
    spec.adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter() as never, { logger: false })
      : await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  writeFileSync(spec.portFile, String((app.getHttpServer().address() as { port: number }).port));
}

start(JSON.parse(process.argv[2]!) as LibraryServerSpec).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
