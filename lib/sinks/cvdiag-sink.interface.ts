import { CvdiagEnvelope } from '../envelope/envelope.types.js';

/**
 * Where rows go. A sink must not block and must bound its own memory: when it
 * cannot take a row it returns `false`, the row is counted as dropped, and a
 * `cvdiag.queue_dropped` row reports the count once the sink takes rows again.
 * A sink that throws is treated as one that dropped the row; the error never
 * reaches the application.
 */
export interface CvdiagSink {
  /**
   * `line` is the full `CVDIAG {…}\n` text; `envelope` is the same row as an
   * object, read-only: parts of it (the all-null `edge_headers`) are frozen and
   * shared between rows.
   */
  write(line: string, envelope: Readonly<CvdiagEnvelope>): boolean | void;
  /** Called on application shutdown; should resolve once pending rows are out. Bounded by the caller. */
  flush?(): Promise<void> | void;
}
