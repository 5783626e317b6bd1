/**
 * Profiling aid, not part of `npm run bench`: emits one kind of row in a loop
 * so `node --cpu-prof` sees only the library's emit path.
 *   node --cpu-prof --cpu-prof-dir=bench/out/prof bench/out/build/bench/profile-emit.js error 3
 * (row: `sse` or `error`; seconds, default 3).
 */
import { openSync } from 'node:fs';
import { CorrelationContext } from '../lib/context/correlation-context';
import { newSpanId, uuidv7 } from '../lib/envelope/ids';
import { validateOptions } from '../lib/options/validate-options';
import { CvdiagRuntime } from '../lib/runtime/cvdiag-runtime';
import { errorCaughtRow, makeBenchError, sseEventRow } from './emit-fixtures';
import { FileSink } from './file-sink';
import { outFile } from './paths';

const kind = process.argv[2] === 'error' ? 'error' : 'sse';
const seconds = Number(process.argv[3] ?? 3);
const tier = kind === 'error' ? 'default' : 'debug';
const fd = openSync(outFile(`profile-${kind}.log`), 'w');
const runtime = new CvdiagRuntime(validateOptions({ enabled: true, tier, slug: 'bench', sinks: [new FileSink(fd)] }));
const context = new CorrelationContext(runtime, { tier, testId: uuidv7(), traceId: uuidv7(), slug: 'bench', demo: 'chat' });
context.rootSpanId = newSpanId();
const error = makeBenchError();

const deadline = Date.now() + seconds * 1000;
let rows = 0;
while (Date.now() < deadline) {
  for (let i = 0; i < 1000; i++) context.emit(kind === 'error' ? errorCaughtRow(context, error) : sseEventRow(context, i));
  rows += 1000;
}
console.log(`${rows} ${kind} rows, ${((seconds * 1e6) / rows).toFixed(2)} µs/row`);
