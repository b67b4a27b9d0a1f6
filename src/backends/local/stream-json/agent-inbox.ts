/** The agent's stdin as the SDK reads it: an async queue of user messages that ends when closed. */
export class AgentInbox<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake?: () => void;
  private closed = false;

  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (!this.closed) {
      const item = this.items.shift();
      if (item !== undefined) yield item;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }
}
