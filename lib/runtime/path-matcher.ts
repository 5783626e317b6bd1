export type PathMatcher = (path: string) => boolean;

/** `exclude` entries: '/health' exactly, '/internal/*' for that path and everything below, or a RegExp. */
export function compileExcludes(entries: ReadonlyArray<string | RegExp>): PathMatcher {
  if (entries.length === 0) return () => false;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const patterns: RegExp[] = [];
  for (const entry of entries) {
    if (entry instanceof RegExp) patterns.push(entry);
    else if (entry.endsWith('/*')) prefixes.push(entry.slice(0, -2));
    else exact.add(stripTrailingSlash(entry));
  }
  return (path) => {
    const normalized = stripTrailingSlash(path);
    if (exact.has(normalized)) return true;
    for (const prefix of prefixes) {
      if (normalized === prefix || normalized.startsWith(`${prefix}/`)) return true;
    }
    for (const pattern of patterns) {
      pattern.lastIndex = 0;
      if (pattern.test(path)) return true;
    }
    return false;
  };
}

function stripTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
