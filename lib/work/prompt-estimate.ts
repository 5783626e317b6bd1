const CHARS_PER_TOKEN = 4;
const MAX_NODES = 2000;
const MAX_DEPTH = 6;

/**
 * A rough prompt size: the characters of every string in the call's arguments
 * (messages, prompt text) divided by 4, 0 when there are none. Bounded walk;
 * never throws.
 */
export function estimatePromptTokens(args: readonly unknown[]): number {
  let chars = 0;
  let nodes = 0;
  const seen = new WeakSet<object>();
  const visit = (value: unknown, depth: number): void => {
    if (++nodes > MAX_NODES) return;
    if (typeof value === 'string') {
      chars += value.length;
      return;
    }
    if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH || seen.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) return;
    try {
      const children = Array.isArray(value) ? value : Object.values(value);
      for (const child of children) visit(child, depth + 1);
    } catch {
      // A getter threw: count what was reached.
    }
  };
  for (const arg of args) visit(arg, 0);
  return Math.ceil(chars / CHARS_PER_TOKEN);
}
