/** Rows held back to be written together: see `coalesceUntilTurnEnds`. */
export interface RowBatch {
  /** Characters held now (for the sink's memory bound). */
  readonly heldChars: number;
  add(line: string): void;
  /** Hands what is held to the writer now. */
  writeOut(): void;
}

/** Batches holding rows; one process 'exit' listener writes them all out. */
const holdingRows = new Set<TurnBatch>();
let exitListenerAdded = false;

function writeOutAll(): void {
  for (const batch of holdingRows) batch.writeOut();
}

/**
 * Holds rows until the current event-loop turn ends (a `setImmediate`, which
 * runs after this turn's I/O callbacks), then hands them to `write` as one
 * text. The immediate is unref'd, so it never keeps a process alive; rows still
 * held when the process exits (normally, by `process.exit()` or an uncaught
 * exception) are written from its 'exit' event, where stdout writes are
 * synchronous for files, pipes and terminals.
 */
export function coalesceUntilTurnEnds(write: (text: string) => void): RowBatch {
  return new TurnBatch(write);
}

class TurnBatch implements RowBatch {
  private text = '';
  private scheduled = false;

  constructor(private readonly write: (text: string) => void) {}

  get heldChars(): number {
    return this.text.length;
  }

  add(line: string): void {
    if (this.text === '') holdingRows.add(this);
    this.text += line;
    if (this.scheduled) return;
    this.scheduled = true;
    if (!exitListenerAdded) {
      exitListenerAdded = true;
      process.on('exit', writeOutAll);
    }
    setImmediate(this.onTurnEnd).unref();
  }

  writeOut(): void {
    holdingRows.delete(this);
    if (this.text === '') return;
    const text = this.text;
    this.text = '';
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
