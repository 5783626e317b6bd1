/** Rows held back to be written together: see `holdRows`. */
export interface RowBatch {
  /** UTF-8 bytes held now (for the sink's memory bound). */
  readonly heldBytes: number;
  add(line: string): void;
  /** Hands what is held to the writer now. */
  writeOut(): void;
}

/**
 * At most this many bytes go out in one write (PIPE_BUF on Linux): a pipe
 * shared with other processes (cluster workers, a process manager) takes a
 * write this size whole, so a batch can never be cut into by another writer.
 * A single row larger than this is written alone, as the default sink does.
 */
export const ATOMIC_WRITE_BYTES = 4096;

/** The longest a row may be held (`coalesce: { maxDelayMs }`). */
export const MAX_HOLD_MS = 1000;

/** Batches holding rows now, so the process's end can write them all out. */
const holdingRows = new Set<HeldRows>();
let exitListenerAdded = false;
let exiting = false;

function writeOutAll(): void {
  for (const batch of [...holdingRows]) batch.writeOut();
}

function onExit(): void {
  exiting = true;
  writeOutAll();
}

/**
 * Signals are left alone on purpose: a listener for SIGTERM changes what the
 * signal does (it no longer ends the process), and two libraries that each
 * re-raise only when alone (signal-exit does) would leave it ignored. Apps
 * that handle signals (Nest's `enableShutdownHooks()`) flush the sinks on
 * shutdown (CvdiagModule), which writes held rows out.
 */
function addExitListener(): void {
  if (exitListenerAdded) return;
  exitListenerAdded = true;
  process.on('exit', onExit);
}

/**
 * Holds rows and hands them to `write` as one text of at most
 * ATOMIC_WRITE_BYTES, when that size is reached or:
 * - `maxDelayMs` 0: when the current event-loop turn ends (a `setImmediate`,
 *   which runs after this turn's callbacks, before the loop waits for I/O
 *   again). The immediate is referenced on purpose: an unreferenced one does
 *   not stop the loop from waiting for the next I/O or timer first, which
 *   would delay rows written from timers (heartbeats) by as long; a
 *   referenced one keeps the process alive for that one turn only;
 * - `maxDelayMs` > 0: at most that many ms after the first row held (an
 *   unreferenced timer: it never keeps the process alive), so the rows of
 *   many requests share one write.
 * Rows still held when the process ends are written out from its 'exit'
 * event (`process.exit()`, an uncaught exception, the loop running dry, and a
 * signal the app handles by shutting down), as are rows written after 'exit':
 * best effort, as a write to a full pipe then cannot wait. A process ended
 * without running JavaScript (SIGKILL, an out-of-memory kill, a native crash,
 * or a SIGTERM/SIGINT/SIGHUP nothing handles) loses what is held: at most
 * `maxDelayMs` (or one turn) of rows.
 */
export function holdRows(write: (text: string) => void, maxDelayMs = 0): RowBatch {
  return new HeldRows(write, maxDelayMs);
}

class HeldRows implements RowBatch {
  private text = '';
  private bytes = 0;
  private scheduled = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly write: (text: string) => void,
    private readonly maxDelayMs: number,
  ) {}

  get heldBytes(): number {
    return this.bytes;
  }

  add(line: string): void {
    const size = Buffer.byteLength(line, 'utf8');
    if (this.bytes > 0 && this.bytes + size > ATOMIC_WRITE_BYTES) this.writeOut();
    if (this.bytes === 0) holdingRows.add(this);
    this.text += line;
    this.bytes += size;
    if (exiting || this.bytes >= ATOMIC_WRITE_BYTES) return this.writeOut();
    if (this.scheduled) return;
    this.scheduled = true;
    addExitListener();
    if (this.maxDelayMs === 0) {
      setImmediate(this.onDue);
    } else {
      this.timer = setTimeout(this.onDue, this.maxDelayMs);
      this.timer.unref();
    }
  }

  writeOut(): void {
    holdingRows.delete(this);
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.scheduled = false;
    }
    if (this.bytes === 0) return;
    const text = this.text;
    this.text = '';
    this.bytes = 0;
    try {
      this.write(text);
    } catch {
      // Nothing above this call can catch it (it runs from an immediate, a
      // timer or at exit), and a failing stdout must not crash the app: the
      // rows are lost.
    }
  }

  private readonly onDue = (): void => {
    this.scheduled = false;
    this.timer = undefined;
    this.writeOut();
  };
}
