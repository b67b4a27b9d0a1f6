import { isPermanentDbError } from './db-errors.js';

export interface CallBatcherOptions<T, R> {
  /** One round trip for `items`, answering one result per item, in order. */
  call: (items: T[]) => Promise<R[]>;
  /** Items of one key go in arrival order: one waits while another of its key is on its way. */
  key: (item: T) => string;
  /** At most one item per key in a call (a statement that may touch a row only once). */
  onePerKey?: boolean;
  /** Calls in flight at once. */
  maxCalls: number;
  /** Items per call. */
  maxBatch: number;
  /** Told each call's size (metrics). */
  observe?: (size: number) => void;
}

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Sends the items that arrive while earlier ones are on their way to
 * Postgres together, in one call: under a crowd, many requests cost one
 * round trip and one commit. A lone item goes at once; nothing waits for a
 * timer. A call Postgres refuses outright is split, so one bad item never
 * fails the others.
 */
export class CallBatcher<T, R> {
  private queue: Waiting<T, R>[] = [];
  private calls = 0;
  /** Keys with an item on its way. */
  private readonly busy = new Set<string>();

  constructor(private readonly options: CallBatcherOptions<T, R>) {}

  submit(item: T): Promise<R> {
    return this.submitAll([item])[0];
  }

  /** Items that are all there at once: they fill calls together rather than the first going alone. */
  submitAll(items: T[]): Promise<R>[] {
    const results = items.map((item) => new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject })));
    this.next();
    return results;
  }

  private next(): void {
    while (this.calls < this.options.maxCalls) {
      const batch = this.take();
      if (batch.length === 0) return;
      const keys = new Set(batch.map((w) => this.options.key(w.item)));
      keys.forEach((k) => this.busy.add(k));
      this.calls++;
      void this.send(batch).finally(() => {
        keys.forEach((k) => this.busy.delete(k));
        this.calls--;
        this.next();
      });
    }
  }

  /** The next call's items, in arrival order: all that wait, but those whose key has an item on its way. */
  private take(): Waiting<T, R>[] {
    const batch: Waiting<T, R>[] = [];
    const taken = new Set<string>();
    const left: Waiting<T, R>[] = [];
    for (const w of this.queue) {
      const key = this.options.key(w.item);
      const free = !this.busy.has(key) && !(this.options.onePerKey && taken.has(key));
      if (batch.length < this.options.maxBatch && free) {
        batch.push(w);
        taken.add(key);
      } else {
        left.push(w);
      }
    }
    this.queue = left;
    return batch;
  }

  private async send(batch: Waiting<T, R>[]): Promise<void> {
    this.options.observe?.(batch.length);
    try {
      const results = await this.options.call(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (e) {
      if (batch.length > 1 && isPermanentDbError(e)) {
        await Promise.all(batch.map((w) => this.send([w])));
        return;
      }
      batch.forEach((w) => w.reject(e));
    }
  }
}
