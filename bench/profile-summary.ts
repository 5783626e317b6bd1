/**
 * Profiling aid: where the time goes in a .cpuprofile (`node --cpu-prof`), as
 * file:line so hot spots can be quoted. Self time by default; `inclusive`
 * counts a function for every sample it is on the stack of (callees included).
 *   node bench/out/build/bench/profile-summary.js <file>.cpuprofile [top=25] [inclusive] [filter]
 * `filter` keeps only functions whose location contains it (e.g. `/lib/`).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const [file, topArg, modeArg, filter] = process.argv.slice(2);
const inclusive = modeArg === 'inclusive';
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };

const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));

function keyOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^.*\/(bench\/out\/build\/|node_modules\/)/, '$1')}:${lineNumber + 1}` : '(native)';
  return `${functionName || '(anonymous)'} ${where}`;
}

const time = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  if (hits === 0) continue;
  total += hits;
  if (!inclusive) {
    time.set(keyOf(node), (time.get(keyOf(node)) ?? 0) + hits);
    continue;
  }
  // Each function once per stack, however deep it recurses.
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const key = keyOf(byId.get(id)!);
    if (seen.has(key)) continue;
    seen.add(key);
    time.set(key, (time.get(key) ?? 0) + hits);
  }
}
const rows = [...time.entries()].filter(([key]) => !filter || key.includes(filter)).sort((a, b) => b[1] - a[1]);
for (const [key, hits] of rows.slice(0, Number(topArg ?? 25))) {
  console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
}
