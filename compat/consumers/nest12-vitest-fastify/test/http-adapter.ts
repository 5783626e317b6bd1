import { FastifyAdapter } from '@nestjs/platform-fastify';

// This app runs on Fastify.
export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter();
}
