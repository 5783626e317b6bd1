import { CvdiagEnvelope, CvdiagSink } from 'nestjs-cvdiag';

/** Keeps every row in memory so the sample can print a per-request summary (the rows also go to stdout). */
export class SummarySink implements CvdiagSink {
  readonly rows: CvdiagEnvelope[] = [];

  write(_line: string, envelope: Readonly<CvdiagEnvelope>): boolean {
    this.rows.push(structuredClone(envelope) as CvdiagEnvelope);
    return true;
  }

  /** Rows of one request, by the x-test-id the client sent. */
  rowsFor(testId: string): CvdiagEnvelope[] {
    return this.rows.filter((row) => row.test_id === testId);
  }
}
