import type { CvdiagRequestSummary } from '../analysis/requests.js';
import { VERDICTS, type CvdiagVerdict } from '../analysis/verdict.js';
import type { CvdiagRow } from '../envelope/envelope.types.js';
import type { BadLine } from './input.js';
import { REPORT_TEMPLATE } from './report-template.js';

/** A request kept in full in the page: its summary and its rows, short. */
interface KeptRequest {
  testId: string;
  traceId: string;
  startedAt: string;
  method: string | null;
  route: string | null;
  end: string;
  totalMs: number | null;
  firstByteMs: number | null;
  events: number | null;
  verdict: CvdiagVerdict;
  reason: string;
  findings: string[];
  unseen: string[];
  rows: Array<{ ms: number; boundary: string; outcome: string; metadata: unknown }>;
}

/** What the page shows, as its script reads it. */
export interface ReportData {
  generatedAt: string;
  sources: string[];
  total: number;
  byVerdict: Record<string, number>;
  routes: Array<{ route: string; count: number; failed: number; durationMs: Percentiles; firstByteMs: Percentiles }>;
  requests: KeptRequest[];
  /** Requests counted but not kept in full (successful ones beyond the sample, failed ones beyond the bound). */
  notKept: { ok: number; failed: number };
  badLines: { count: number; first: BadLine[] };
}

const MAX_ROUTES = 500;

type Percentiles = { p50: number | null; p90: number | null; p99: number | null; n: number };

/**
 * Builds `cvdiag report`'s page from requests as they are decided. Memory is
 * bounded whatever the input: every failed request is kept in full up to
 * `maxFailed`, successful ones as a uniform sample of `sample` (reservoir), the
 * rest only counted; per route, the durations are kept as numbers.
 */
export class ReportBuilder {
  private total = 0;
  private readonly byVerdict = new Map<string, number>();
  private readonly routes = new Map<string, { count: number; failed: number; durations: number[]; firstBytes: number[] }>();
  private readonly failed: KeptRequest[] = [];
  private readonly ok: KeptRequest[] = [];
  private okSeen = 0;
  private failedNotKept = 0;

  constructor(private readonly options: { sample: number; maxFailed: number; sources: string[] }) {}

  get count(): number {
    return this.total;
  }

  add(summary: CvdiagRequestSummary, rows: readonly CvdiagRow[]): void {
    this.total++;
    const { verdict } = summary.verdict;
    this.byVerdict.set(verdict, (this.byVerdict.get(verdict) ?? 0) + 1);
    // Unmatched paths (404s) can be endless: beyond MAX_ROUTES distinct routes, the rest are counted together.
    let routeKey = `${summary.method ?? '?'} ${summary.route ?? '(no route)'}`;
    if (!this.routes.has(routeKey) && this.routes.size >= MAX_ROUTES) routeKey = '(other routes)';
    let route = this.routes.get(routeKey);
    if (!route) this.routes.set(routeKey, (route = { count: 0, failed: 0, durations: [], firstBytes: [] }));
    route.count++;
    if (summary.verdict.failed) route.failed++;
    if (summary.totalMs !== null) route.durations.push(summary.totalMs);
    if (summary.firstByteMs !== null) route.firstBytes.push(summary.firstByteMs);

    if (summary.verdict.failed) {
      if (this.failed.length < this.options.maxFailed) this.failed.push(keep(summary, rows));
      else this.failedNotKept++;
      return;
    }
    this.okSeen++;
    if (this.ok.length < this.options.sample) this.ok.push(keep(summary, rows));
    else {
      const slot = Math.floor(Math.random() * this.okSeen);
      if (slot < this.options.sample) this.ok[slot] = keep(summary, rows);
    }
  }

  data(bad: readonly BadLine[], badCount: number): ReportData {
    return {
      generatedAt: new Date().toISOString(),
      sources: this.options.sources,
      total: this.total,
      byVerdict: Object.fromEntries(VERDICTS.filter((verdict) => this.byVerdict.has(verdict)).map((verdict) => [verdict, this.byVerdict.get(verdict)!])),
      routes: [...this.routes]
        .sort((a, b) => b[1].count - a[1].count)
        .map(([route, stats]) => ({ route, count: stats.count, failed: stats.failed, durationMs: percentiles(stats.durations), firstByteMs: percentiles(stats.firstBytes) })),
      requests: [...this.failed, ...this.ok].sort((a, b) => a.startedAt.localeCompare(b.startedAt)),
      notKept: { ok: this.okSeen - this.ok.length, failed: this.failedNotKept },
      badLines: { count: badCount, first: bad.slice(0, 20) },
    };
  }

  /** The page: one HTML file, its data inline as JSON (never as markup), no network. */
  render(bad: readonly BadLine[], badCount: number): string {
    // `<` escaped: no text in the data can close the script element.
    const json = JSON.stringify(this.data(bad, badCount)).replace(/</g, '\\u003c');
    return REPORT_TEMPLATE.replace('/*CVDIAG_DATA*/', () => json);
  }
}

function keep(summary: CvdiagRequestSummary, rows: readonly CvdiagRow[]): KeptRequest {
  const startNs = rows[0]?.mono_ns ?? 0;
  return {
    testId: summary.testId,
    traceId: summary.traceId,
    startedAt: summary.startedAt,
    method: summary.method,
    route: summary.route,
    end: summary.end === 'complete' ? `complete ${summary.status}` : summary.end === 'aborted' ? `aborted ${summary.terminationKind} ${summary.bytes} B` : 'no terminal',
    totalMs: summary.totalMs,
    firstByteMs: summary.firstByteMs,
    events: summary.events,
    verdict: summary.verdict.verdict,
    reason: summary.verdict.reason,
    findings: summary.verdict.findings.slice(1).map((finding) => `${finding.verdict}: ${finding.reason}`),
    unseen: summary.verdict.unseen,
    rows: rows.map((row) => ({ ms: Math.round((row.mono_ns - startNs) / 1e4) / 100, boundary: row.boundary.replace(/^backend\./, ''), outcome: row.outcome, metadata: row.metadata })),
  };
}

function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: null, p90: null, p99: null, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), n: sorted.length };
}
