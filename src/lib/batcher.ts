/**
 * Coalesces concurrent single-row writes into one statement (group commit, as a DataLoader does for
 * reads): each caller still awaits its own result, so a rule written for one row (a claim is a
 * lease; no claim, no send) holds row by row. While `maxInFlight` batches run, new items wait and
 * leave together in the next one: an idle process sends each item at once (one event-loop turn
 * later), a busy one sends one statement for many, and the commits (each a WAL flush) fall from one
 * per item to one per batch.
 *
 * A batch never holds two items with a key in common (the same row): `UPDATE … FROM (list)` applies
 * one list entry per row, so the second would be silently dropped. It waits for the next batch, in
 * arrival order, and sees what the first one did, as two statements one after the other would.
 */
export interface BatcherOptions<I> {
  /** the rows an item touches: items sharing a key never share a batch */
  keys(item: I): ReadonlyArray<string | number>;
  /** most items in one statement */
  maxSize?: number;
  /** statements running at once (each holds a pool connection) */
  maxInFlight?: number;
  /**
   * When a whole batch fails with an error this says was one row's doing (a constraint, bad data),
   * its items are run again one by one, so only that item's caller sees the error.
   */
  retryAlone?(err: unknown): boolean;
}

interface Pending<I, R> {
  item: I;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export class Batcher<I, R> {
  private queue: Array<Pending<I, R>> = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxSize: number;
  private readonly maxInFlight: number;
  /** statements sent (tests count them) */
  batches = 0;

  constructor(
    /** one statement for all items; results in the items' order */
    private readonly run: (items: I[]) => Promise<R[]>,
    private readonly opts: BatcherOptions<I>,
  ) {
    this.maxSize = Math.max(1, opts.maxSize ?? 500);
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
  }

  load(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** items waiting for a batch */
  get waiting(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || !this.queue.length) return;
    this.scheduled = true;
    // one turn of the event loop: the callers woken by the same I/O join the same batch
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length) {
      const batch = this.take();
      this.inFlight++;
      void this.execute(batch).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  /** The next batch: in arrival order, skipping (for later) items that share a row with one taken or skipped before them. */
  private take(): Array<Pending<I, R>> {
    const batch: Array<Pending<I, R>> = [];
    const rest: Array<Pending<I, R>> = [];
    const seen = new Set<string | number>();
    for (const p of this.queue) {
      const keys = this.opts.keys(p.item);
      if (batch.length >= this.maxSize || keys.some((k) => seen.has(k))) rest.push(p);
      else batch.push(p);
      for (const k of keys) seen.add(k);
    }
    this.queue = rest;
    return batch;
  }

  private async execute(batch: Array<Pending<I, R>>): Promise<void> {
    this.batches++;
    try {
      const results = await this.run(batch.map((p) => p.item));
      if (results.length !== batch.length) throw new Error(`batch of ${batch.length} returned ${results.length} results`);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (e) {
      if (batch.length > 1 && this.opts.retryAlone?.(e)) {
        await Promise.all(
          batch.map(async (p) => {
            this.batches++;
            try {
              const [r] = await this.run([p.item]);
              p.resolve(r!);
            } catch (e2) {
              p.reject(e2);
            }
          }),
        );
        return;
      }
      for (const p of batch) p.reject(e);
    }
  }
}

/** PostgreSQL errors caused by one row's values (SQLSTATE classes 22 data exception, 23 integrity constraint). */
export function rowLevelSqlError(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | null)?.code ?? (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

/** A batch split by message: each message's statements name its month (message_recipients is partitioned). */
export function byMessage<T extends { messageId: number }>(items: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const it of items) {
    const list = out.get(it.messageId);
    if (list) list.push(it);
    else out.set(it.messageId, [it]);
  }
  return out;
}
