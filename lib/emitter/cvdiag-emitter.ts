import { ROW_BYTE_CAP } from '../envelope/boundaries.js';
import {
  CvdiagBoundary,
  CvdiagEdgeHeaders,
  CvdiagEnvelope,
  CvdiagOutcome,
} from '../envelope/envelope.types.js';
import { monoMs, monoNs, newSpanId } from '../envelope/ids.js';
import { sanitizeMetadata } from '../envelope/sanitize-metadata.js';
import { serializeWithinCap, toLine } from '../envelope/serialize.js';
import type { CvdiagCorrelation } from '../context/correlation-context.js';
import { NULL_EDGE_HEADERS } from '../correlation/edge-headers.js';
import { CvdiagSink } from '../sinks/cvdiag-sink.interface.js';
import { FaultLog } from './fault-log.js';

export interface RowSpec {
  boundary: CvdiagBoundary;
  outcome: CvdiagOutcome;
  durationMs: number | null;
  metadata: Record<string, unknown>;
  edgeHeaders?: CvdiagEdgeHeaders;
  parentSpanId: string | null;
  /**
   * `metadata` was built by CVDIAG for this row alone, as plain JSON with only
   * the boundary's keys and every string already scrubbed and bounded (error
   * and terminal rows): it is used as it is, without the sanitizing copy.
   */
  metadataClean?: boolean;
}

/** A sink with its count of rows it could not take. */
class SinkChannel {
  dropped = 0;
  constructor(readonly sink: CvdiagSink) {}
}

/**
 * Builds, bounds and writes rows. Every failure is contained here: a row that
 * cannot be built or written is dropped, counted and logged (rate-limited).
 */
export class CvdiagEmitter {
  private readonly channels: SinkChannel[];
  /** A test capture's sink (nestjs-cvdiag/testing), and whether the app's own sinks still get rows. */
  private capture: { channel: SinkChannel; passThrough: boolean } | null = null;

  constructor(
    sinks: readonly CvdiagSink[],
    private readonly faults: FaultLog,
    private readonly accountingIdentity: () => CvdiagCorrelation,
  ) {
    this.channels = sinks.map((sink) => new SinkChannel(sink));
  }

  /** Writes one row; returns its span id, or null when it was not written. */
  emit(identity: CvdiagCorrelation, row: RowSpec): string | null {
    let envelope: CvdiagEnvelope;
    let line: string;
    try {
      envelope = this.build(identity, row);
      line = toLine(serializeWithinCap(envelope, ROW_BYTE_CAP[identity.tier]));
    } catch (error) {
      this.faults.warn('build', `a ${row.boundary} row could not be built and was dropped`, error);
      return null;
    }
    let written = false;
    const capture = this.capture;
    if (capture) {
      written = this.deliver(capture.channel, line, envelope);
      if (!capture.passThrough) return written ? envelope.span_id : null;
    }
    for (const channel of this.channels) {
      if (this.deliver(channel, line, envelope)) written = true;
    }
    return written ? envelope.span_id : null;
  }

  /** Sends every row to `sink` too (or instead, without `passThrough`) until called with null. */
  setCaptureSink(sink: CvdiagSink | null, passThrough = true): void {
    this.capture = sink ? { channel: new SinkChannel(sink), passThrough } : null;
  }

  async flush(timeoutMs: number): Promise<void> {
    const flushes = this.channels.map(async ({ sink }) => {
      try {
        await sink.flush?.();
      } catch (error) {
        this.faults.warn('flush', 'a sink failed to flush on shutdown', error);
      }
    });
    let timer: NodeJS.Timeout | undefined;
    // Not unref'd: during shutdown it may be all that keeps the process alive, and
    // letting the process exit mid-shutdown would skip the other modules' hooks
    // and Nest's re-raise of the signal. It holds the process for timeoutMs at most.
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(flushes), deadline]);
    clearTimeout(timer);
  }

  private deliver(channel: SinkChannel, line: string, envelope: CvdiagEnvelope): boolean {
    if (channel.dropped > 0 && !this.reportDrops(channel)) {
      channel.dropped++;
      return false;
    }
    if (this.tryWrite(channel, line, envelope)) return true;
    channel.dropped++;
    return false;
  }

  /** The sink took rows again: tell it how many it missed before the next row. */
  private reportDrops(channel: SinkChannel): boolean {
    try {
      const envelope = this.build(this.accountingIdentity(), {
        boundary: 'cvdiag.queue_dropped',
        outcome: 'info',
        durationMs: null,
        metadata: { dropped_count: channel.dropped },
        parentSpanId: null,
      });
      const line = toLine(serializeWithinCap(envelope, ROW_BYTE_CAP.default));
      if (!this.tryWrite(channel, line, envelope)) return false;
      channel.dropped = 0;
      return true;
    } catch {
      return false;
    }
  }

  private tryWrite(channel: SinkChannel, line: string, envelope: CvdiagEnvelope): boolean {
    try {
      return channel.sink.write(line, envelope) !== false;
    } catch (error) {
      this.faults.warn('sink', 'a sink threw while writing a row; the row was dropped', error);
      return false;
    }
  }

  private build(identity: CvdiagCorrelation, row: RowSpec): CvdiagEnvelope {
    const { metadata, dropped } = row.metadataClean === true ? { metadata: row.metadata, dropped: false } : sanitizeMetadata(row.boundary, row.metadata);
    const now = monoMs();
    // Key order is the schema's: keep this literal in docs/contract.md section 2 order.
    return {
      schema_version: 1,
      test_id: identity.testId,
      trace_id: identity.traceId,
      span_id: newSpanId(),
      parent_span_id: row.parentSpanId,
      layer: 'backend',
      boundary: row.boundary,
      slug: identity.slug,
      demo: identity.demo,
      ts: isoNow(),
      mono_ns: monoNs(now),
      duration_ms: row.durationMs,
      outcome: row.outcome,
      edge_headers: row.edgeHeaders ?? NULL_EDGE_HEADERS,
      metadata,
      _metadata_dropped: dropped,
      _truncated: false,
    };
  }
}

let lastIsoMs = -1;
let lastIso = '';
/** `new Date(…).toISOString()` of the current second without its milliseconds (`2026-12-02T18:12:35.`), and that second. */
let secondIso = '';
let secondOfIso = -1;

/**
 * `new Date().toISOString()`, reused within the same millisecond (rows come in
 * bursts), and within one second only the milliseconds are written: a Date
 * and its formatting once a second, not once a row.
 */
function isoNow(): string {
  const now = Date.now();
  if (now !== lastIsoMs) {
    lastIsoMs = now;
    const second = Math.floor(now / 1000);
    if (second !== secondOfIso) {
      secondOfIso = second;
      const iso = new Date(second * 1000).toISOString();
      secondIso = iso.slice(0, iso.length - 4); // without `000Z`
    }
    const ms = now - second * 1000;
    lastIso = `${secondIso}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  }
  return lastIso;
}
