/**
 * An in-process mutex per key: callers with the same key run one after another, in arrival
 * order; different keys run in parallel. repo-cache.ts holds one per cache directory so that
 * clone, fetch and `git worktree` calls on one repository never overlap. Enough because one
 * data dir has one runner process (data-dir-lock.ts). Idle keys are forgotten, so the map only
 * holds keys with a caller waiting or running.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier caller with this key has finished (whether it threw or not). */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((r) => {
      release = r;
    });
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a caller waiting or running (for tests). */
  size(): number {
    return this.tails.size;
  }
}
