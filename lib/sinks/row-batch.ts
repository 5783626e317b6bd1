/** Rows held back to be written together: see `coalesceUntilTurnEnds`. */
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

/** Batches holding rows; one process 'exit' listener writes them all out. */
const holdingRows = new Set<TurnBatch>();
let exitListenerAdded = false;
let exiting = false;

function writeOutAll(): void {
  exiting = true;
  for (const batch of holdingRows) batch.writeOut();
}

/**
 * Holds rows until the current event-loop turn ends (a `setImmediate`, which
 * runs after this turn's callbacks, before the loop waits for I/O again), then
 * hands them to `write` as one text of at most ATOMIC_WRITE_BYTES. The
 * immediate is referenced on purpose: an unreferenced one does not stop the
 * loop from waiting for the next I/O or timer first, which would delay rows
 * written from timers (heartbeats) by as long; a referenced one keeps the
 * process alive for that one turn only. Rows still held when the process exits
 * (`process.exit()`, an uncaught exception) are written from its 'exit' event,
 * as are rows written after it: best effort, as a write to a pipe that is full
 * then cannot wait.
 */
export function coalesceUntilTurnEnds(write: (text: string) => void): RowBatch {
  return new TurnBatch(write);
}

class TurnBatch implements RowBatch {
  private text = '';
  private bytes = 0;
  private scheduled = false;

  constructor(private readonly write: (text: string) => void) {}

  get heldBytes(): number {
    return this.bytes;
  }

  add(line: string): void {
    const size = Buffer.byteLength(line, 'utf8');
    if (this.bytes > 0 && this.bytes + size > ATOMIC_WRITE_BYTES) this.writeOut();
    if (this.bytes === 0) holdingRows.add(this);
    this.text += line;
    this.bytes += size;
    if (exiting) return this.writeOut();
    if (this.scheduled) return;
    this.scheduled = true;
    if (!exitListenerAdded) {
      exitListenerAdded = true;
      process.on('exit', writeOutAll);
    }
    setImmediate(this.onTurnEnd);
  }

  writeOut(): void {
    holdingRows.delete(this);
    if (this.bytes === 0) return;
    const text = this.text;
    this.text = '';
    this.bytes = 0;
    try {
      this.write(text);
    } catch {
      // Nothing above this call can catch it (it runs from an immediate or at
      // exit), and a failing stdout must not crash the app: the rows are lost.
    }
  }

  private readonly onTurnEnd = (): void => {
    this.scheduled = false;
    this.writeOut();
  };
}
