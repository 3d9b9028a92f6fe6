/**
 * Reconnect delays for connection.ts: exponential backoff with full jitter
 * (delay = random(0, min(cap, base · 2^n))), so a fleet of runners that lost the control plane
 * at the same moment does not come back at the same moment.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */

export class Backoff {
  private failures = 0;

  constructor(
    private readonly baseMs: number,
    private readonly capMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next try; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return Math.floor(this.random() * ceiling);
  }

  /** Back to the first, shortest delay (after a connection proved healthy). */
  reset(): void {
    this.failures = 0;
  }
}
