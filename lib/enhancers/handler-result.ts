import type { RequestState } from '../request/request-state.js';

/**
 * Some handler results are streamed by Nest itself, and when their source
 * fails mid-way Nest ends the response without any exception reaching an
 * interceptor or filter (Nest 12.4+ streams async iterables and web streams
 * through the same path). Without a look at the source, such a failure would
 * read as a client disconnect. This records it as `error.caught` and marks the
 * stream as broken, leaving the value Nest receives unchanged where it can:
 * - StreamableFile and Node Readable: the same object, with an 'error' listener
 *   (Nest attaches its own, so crash behaviour is unchanged);
 * - async generators and web ReadableStreams: re-yielded by an async generator
 *   with the same chunks, which Nest streams the same way (and which serialises
 *   to `{}` as they do on versions that do not stream them).
 */
export function watchHandlerResult(value: unknown, state: RequestState): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const readable = streamOf(value);
  if (readable) {
    readable.once('error', (error: unknown) => state.recordError(error, true));
    return value;
  }
  if (isAsyncGenerator(value) || isWebReadableStream(value)) return reportingErrors(value as AsyncIterable<unknown>, state);
  return value;
}

interface ReadableLike {
  once(event: 'error', listener: (error: unknown) => void): unknown;
  pipe: unknown;
}

function streamOf(value: object): ReadableLike | undefined {
  const candidate =
    typeof (value as { getStream?: unknown }).getStream === 'function' &&
    typeof (value as { setErrorHandler?: unknown }).setErrorHandler === 'function'
      ? (value as { getStream(): unknown }).getStream() // StreamableFile
      : value;
  return typeof candidate === 'object' &&
    candidate !== null &&
    typeof (candidate as ReadableLike).pipe === 'function' &&
    typeof (candidate as ReadableLike).once === 'function'
    ? (candidate as ReadableLike)
    : undefined;
}

function isAsyncGenerator(value: object): boolean {
  return Object.prototype.toString.call(value) === '[object AsyncGenerator]';
}

function isWebReadableStream(value: object): boolean {
  return (
    typeof ReadableStream === 'function' &&
    value instanceof ReadableStream &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

async function* reportingErrors(source: AsyncIterable<unknown>, state: RequestState): AsyncGenerator<unknown> {
  try {
    yield* source;
  } catch (error) {
    state.recordError(error, true);
    throw error;
  }
}
