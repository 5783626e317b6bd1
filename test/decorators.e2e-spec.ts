import { Injectable, INestApplicationContext, Module, SetMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Readable } from 'node:stream';
import { Observable } from 'rxjs';
import { AgentEntry, CvdiagModule, CvdiagService, LlmCall } from 'nestjs-cvdiag';
import { boundariesOf, StdoutCapture } from './support/cvdiag-capture';
import { assertValidRows } from 'nestjs-cvdiag/testing';
import { DEBUG_ENV, useEnv } from './support/env';
import { builtCommonJsEntry, repoRoot } from './support/repo-root';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const originalSetInterval = setInterval;
const originalClearInterval = clearInterval;

/** A Promise subclass that starts its work only when `then` is first called, like SDK request promises. */
class LazyPromise extends Promise<string> {
  started = false;
  static override get [Symbol.species]() {
    return Promise;
  }
  override then<A = string, B = never>(onFulfilled?: ((value: string) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    this.started = true;
    return super.then(onFulfilled, onRejected);
  }
}

/** An SDK-style stream: iterable, with members of its own. */
class SdkStyleStream {
  private readonly seen: string[] = [];
  async *[Symbol.asyncIterator](): AsyncGenerator<string> {
    for (const token of ['x', 'y']) {
      this.seen.push(token);
      yield token;
    }
  }
  async finalText(): Promise<string> {
    return this.seen.join('');
  }
}

const MARK = 'test:mark';
const sharedPromise = Promise.resolve('shared');

@Injectable()
class Shapes {
  subscriptions = 0;
  generatorStarted = false;

  constructor(private readonly cvdiag: CvdiagService) {}

  @AgentEntry({ agentName: 'sync' })
  sync(value: number): number {
    return value * 2;
  }

  @AgentEntry({ agentName: 'sync-throw' })
  syncThrow(): never {
    throw new TypeError('sync failure');
  }

  @AgentEntry({ agentName: 'promise' })
  promise(): Promise<string> {
    return sharedPromise;
  }

  @LlmCall({ provider: 'fake', model: 'm', heartbeatIntervalMs: 5 })
  rejecting(): Promise<never> {
    return new Promise((_, reject) => setTimeout(() => reject(new RangeError('llm failed')), 20));
  }

  @LlmCall({ provider: 'fake', model: 'm' })
  async withUsage(): Promise<string> {
    this.cvdiag.recordLlmUsage({ responseTokens: 42 });
    return 'ok';
  }

  @AgentEntry({ agentName: 'observable' })
  observable(): Observable<number> {
    return new Observable<number>((subscriber) => {
      this.subscriptions++;
      subscriber.next(1);
      const timer = setTimeout(() => {
        subscriber.next(2);
        subscriber.complete();
      }, 5);
      return () => clearTimeout(timer);
    });
  }

  @LlmCall({ provider: 'fake', model: 'endless' })
  endless(): Observable<number> {
    // A timeout chain, not setInterval: the timer test counts only CVDIAG's intervals.
    return new Observable<number>((subscriber) => {
      let timer: NodeJS.Timeout;
      const tick = () => {
        subscriber.next(0);
        timer = setTimeout(tick, 1);
      };
      timer = setTimeout(tick, 1);
      return () => clearTimeout(timer);
    });
  }

  @LlmCall({ provider: 'fake', model: 'tokens' })
  async *tokens(): AsyncGenerator<string> {
    this.generatorStarted = true;
    yield 'a';
    yield 'b';
    yield 'c';
  }

  @LlmCall({ provider: 'fake', model: 'lazy' })
  lazy(): LazyPromise {
    return new LazyPromise((resolve) => resolve('lazy value'));
  }

  @LlmCall({ provider: 'fake', model: 'sdk' })
  sdkStream(): SdkStyleStream {
    return new SdkStyleStream();
  }

  @LlmCall({ provider: 'fake', model: 'resolves-to-stream' })
  async resolvesToStream(): Promise<AsyncGenerator<string>> {
    return this.tokensPlain();
  }

  private async *tokensPlain(): AsyncGenerator<string> {
    yield 'a';
    yield 'b';
    yield 'c';
  }

  @AgentEntry({ agentName: 'readable' })
  readable(): Readable {
    return Readable.from(['x', 'y']);
  }

  @SetMetadata(MARK, 'outer')
  @AgentEntry({ agentName: 'order-a' })
  metadataAbove(): string {
    return 'a';
  }

  @AgentEntry({ agentName: 'order-b' })
  @SetMetadata(MARK, 'inner')
  metadataBelow(): string {
    return 'b';
  }
}

@Module({ imports: [CvdiagModule.forRoot({ slug: 'shapes' })], providers: [Shapes] })
class ShapesModule {}

describe('@AgentEntry and @LlmCall keep the shape of what a method returns', () => {
  useEnv(DEBUG_ENV);
  let capture: StdoutCapture;
  let app: INestApplicationContext;
  let shapes: Shapes;

  beforeEach(async () => {
    capture = new StdoutCapture().start();
    const moduleRef = await Test.createTestingModule({ imports: [ShapesModule] }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    shapes = app.get(Shapes);
  });
  afterEach(async () => {
    await app.close();
    capture.stop();
  });

  const rowsValid = () => {
    const rows = capture.rows();
    assertValidRows(rows, { detachedTraces: [...new Set(rows.map((row) => row.trace_id))] });
    return rows;
  };

  it('a sync method stays sync, and a sync throw rethrows the same error', () => {
    expect(shapes.sync(21)).toBe(42);
    expect(() => shapes.syncThrow()).toThrow(TypeError);
    const rows = rowsValid();
    expect(boundariesOf(rows)).toEqual(['backend.agent.enter', 'backend.agent.exit', 'backend.agent.enter', 'backend.agent.exit']);
    expect(rows[1].outcome).toBe('ok');
    expect(rows[3].outcome).toBe('err');
    // Each outermost call outside a request is its own trace, with the configured slug.
    expect(rows[0].trace_id).not.toBe(rows[2].trace_id);
    expect(rows.every((row) => row.slug === 'shapes' && row.demo === 'default')).toBe(true);
  });

  it('a Promise stays a Promise of the same value, and settles the work when it settles', async () => {
    const result = shapes.promise();
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(await sharedPromise);
    expect(boundariesOf(rowsValid())).toEqual(['backend.agent.enter', 'backend.agent.exit']);
  });

  it('a rejection the app leaves unhandled still ends the process as unhandled', () => {
    const root = repoRoot();
    const child = spawnSync(process.execPath, [join(root, 'test/fixtures/unhandled-rejection.cjs'), builtCommonJsEntry()], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
      timeout: 20_000,
    });
    expect(child.stdout).not.toContain('survived');
    expect(child.stderr).toContain('rejected on purpose');
    expect(child.status).toBe(1);
  });

  it('a lazy Promise subclass is returned as is and not started until awaited', async () => {
    const lazy = shapes.lazy();
    expect(lazy).toBeInstanceOf(LazyPromise);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lazy.started).toBe(false);
    expect(boundariesOf(rowsValid())).toEqual(['backend.llm.call.start']);
    await expect(lazy).resolves.toBe('lazy value');
    expect(lazy.started).toBe(true);
    expect(boundariesOf(rowsValid())).toEqual(['backend.llm.call.start', 'backend.llm.call.response']);
  });

  it('an SDK-style stream object keeps its own members and is observed while iterated', async () => {
    const stream = shapes.sdkStream();
    expect(stream).toBeInstanceOf(SdkStyleStream);
    const tokens: string[] = [];
    for await (const token of stream) tokens.push(token);
    expect(tokens).toEqual(['x', 'y']);
    expect(await stream.finalText()).toBe('xy');
    const response = rowsValid().find((row) => row.boundary === 'backend.llm.call.response')!;
    expect(response.outcome).toBe('ok');
  });

  it('a Promise that resolves to a stream keeps the call open until the stream ends', async () => {
    const stream = await shapes.resolvesToStream();
    expect(boundariesOf(rowsValid())).toEqual(['backend.llm.call.start']);
    const tokens: string[] = [];
    for await (const token of stream) tokens.push(token);
    expect(tokens).toEqual(['a', 'b', 'c']);
    expect(boundariesOf(rowsValid())).toEqual(['backend.llm.call.start', 'backend.llm.call.response']);
  });

  it('a rejected LLM call writes heartbeats, then a response with the error class', async () => {
    await expect(shapes.rejecting()).rejects.toThrow(RangeError);
    await new Promise((resolve) => setImmediate(resolve));
    const rows = rowsValid();
    const response = rows.find((row) => row.boundary === 'backend.llm.call.response')!;
    expect(response.outcome).toBe('err');
    expect(response.metadata.error_class).toBe('RangeError');
    expect(rows.filter((row) => row.boundary === 'backend.llm.call.heartbeat').length).toBeGreaterThanOrEqual(1);
  });

  it('CvdiagService.recordLlmUsage sets response_token_count of the current call', async () => {
    await shapes.withUsage();
    await new Promise((resolve) => setImmediate(resolve));
    const response = rowsValid().find((row) => row.boundary === 'backend.llm.call.response')!;
    expect(response.metadata.response_token_count).toBe(42);
  });

  it('an Observable is not subscribed early, and its work ends when it completes', async () => {
    const stream = shapes.observable();
    expect(stream).toBeInstanceOf(Observable);
    expect(shapes.subscriptions).toBe(0);
    expect(boundariesOf(rowsValid())).toEqual(['backend.agent.enter']);
    const values: number[] = [];
    await new Promise<void>((resolve) => stream.subscribe({ next: (value) => values.push(value), complete: resolve }));
    expect(values).toEqual([1, 2]);
    expect(shapes.subscriptions).toBe(1);
    const exit = rowsValid().find((row) => row.boundary === 'backend.agent.exit')!;
    expect(exit.outcome).toBe('ok');
  });

  it('an Observable unsubscribed early ends as abandoned', async () => {
    const subscription = shapes.endless().subscribe();
    await new Promise((resolve) => setTimeout(resolve, 5));
    subscription.unsubscribe();
    const response = rowsValid().find((row) => row.boundary === 'backend.llm.call.response')!;
    expect(response.outcome).toBe('err');
    expect(response.metadata.error_class).toBe('Abandoned');
  });

  it('an async generator stays lazy, keeps next(), and ends ok when drained or abandoned on break', async () => {
    const iterator = shapes.tokens();
    expect(shapes.generatorStarted).toBe(false);
    expect(await iterator.next()).toEqual({ done: false, value: 'a' });
    expect(shapes.generatorStarted).toBe(true);
    const rest: string[] = [];
    for await (const token of iterator) rest.push(token);
    expect(rest).toEqual(['b', 'c']);
    for await (const token of shapes.tokens()) {
      expect(token).toBe('a');
      break;
    }
    const responses = rowsValid().filter((row) => row.boundary === 'backend.llm.call.response');
    expect(responses.map((row) => row.outcome)).toEqual(['ok', 'err']);
    expect(responses[1].metadata.error_class).toBe('Abandoned');
  });

  it('a Node stream is returned as the same object and ends with it', async () => {
    const stream = shapes.readable();
    expect(stream).toBeInstanceOf(Readable);
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(String(chunk));
    expect(chunks).toEqual(['x', 'y']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(boundariesOf(rowsValid())).toEqual(['backend.agent.enter', 'backend.agent.exit']);
  });

  it('keeps other decorators’ metadata and the method name, in either order', () => {
    const proto = Shapes.prototype;
    expect(Reflect.getMetadata(MARK, proto.metadataAbove)).toBe('outer');
    expect(Reflect.getMetadata(MARK, proto.metadataBelow)).toBe('inner');
    expect(proto.metadataAbove.name).toBe('metadataAbove');
    expect(proto.sync.length).toBe(1);
    expect(shapes.metadataAbove()).toBe('a');
  });

  it('clears every heartbeat timer it starts, starts none for results nobody consumes, and ends them on close', async () => {
    const started: unknown[] = [];
    const cleared: unknown[] = [];
    const setIntervalSpy = jest.spyOn(global, 'setInterval').mockImplementation(((...args: Parameters<typeof setInterval>) => {
      const timer = originalSetInterval(...args);
      started.push(timer);
      return timer;
    }) as typeof setInterval);
    const clearIntervalSpy = jest.spyOn(global, 'clearInterval').mockImplementation((timer) => {
      cleared.push(timer);
      originalClearInterval(timer);
    });
    try {
      await expect(shapes.rejecting()).rejects.toThrow();
      shapes.endless().subscribe().unsubscribe();
      expect(started).toHaveLength(2);
      expect(cleared).toEqual(expect.arrayContaining(started));

      // Neither subscribed nor pulled: the calls are open, but no timer runs for them.
      shapes.endless();
      shapes.tokens();
      expect(started).toHaveLength(2);
      const pending = shapes.rejecting().catch(() => undefined);
      expect(started).toHaveLength(3);
      await app.close();
      expect(cleared).toEqual(expect.arrayContaining(started));
      await pending;
    } finally {
      setIntervalSpy.mockRestore();
      clearIntervalSpy.mockRestore();
      app = await (await Test.createTestingModule({ imports: [ShapesModule] }).compile()).createNestApplication({ logger: false }).init();
    }
    const rows = capture.rows();
    // Closing the app ended the open calls as abandoned.
    expect(rows.filter((row) => row.boundary === 'backend.llm.call.response' && row.metadata.error_class === 'Abandoned').length).toBeGreaterThanOrEqual(3);
  });
});

describe('decorator misuse fails at class definition', () => {
  it('rejects a bad heartbeat interval and non-method targets', () => {
    expect(() => LlmCall({ heartbeatIntervalMs: 0 })).toThrow(/heartbeatIntervalMs/);
    expect(() => LlmCall({ heartbeatIntervalMs: 1.5 })).toThrow(/heartbeatIntervalMs/);
    const descriptor: PropertyDescriptor = { value: 42 };
    expect(() => AgentEntry()({}, 'notAMethod', descriptor)).toThrow(/can only decorate methods/);
  });

  it('rejects options that are not strings where rows carry strings', () => {
    expect(() => LlmCall({ provider: 42 as unknown as string })).toThrow(/@LlmCall\(\) option "provider" must be a string; received number/);
    expect(() => LlmCall({ model: {} as unknown as string })).toThrow(/"model" must be a string/);
    expect(() => AgentEntry({ agentName: ['a'] as unknown as string })).toThrow(/@AgentEntry\(\) option "agentName" must be a string/);
    expect(() => AgentEntry({ modelId: true as unknown as string })).toThrow(/"modelId" must be a string/);
  });
});
