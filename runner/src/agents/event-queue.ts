/**
 * A bounded async queue between an agent process's output and the job runner. When it holds
 * `highWater` items it asks its producer to pause (command.ts stops reading the pipes, so the
 * agent blocks on write) and asks it to resume once the consumer has drained half of it.
 * The bound is soft by one chunk: lines already read when the pause starts are still queued.
 */

export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: ((result: IteratorResult<T>) => void) | null = null;
  private closed = false;
  private paused = false;

  constructor(
    private readonly highWater: number,
    private readonly onPressure: (pause: boolean) => void,
  ) {}

  /** Adds an item; ignored after close. */
  push(item: T): void {
    if (this.closed) return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
    if (!this.paused && this.items.length >= this.highWater) {
      this.paused = true;
      this.onPressure(true);
    }
  }

  /** No more items; iteration ends after the queued ones. */
  close(): void {
    this.closed = true;
    if (this.waiter && this.items.length === 0) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.items.shift();
        if (item !== undefined) {
          if (this.paused && this.items.length <= this.highWater / 2) {
            this.paused = false;
            this.onPressure(false);
          }
          return Promise.resolve({ value: item, done: false });
        }
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
    };
  }
}
