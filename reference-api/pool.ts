/**
 * A simulated database connection pool: at most `size` queries run at once, each holding its
 * connection for a service time around `queryMs`; the rest wait in FIFO order. This is the
 * shared bottleneck of the reference API. Under load, latency grows by queueing (Little's law),
 * not by any fixed per-request sleep: an idle pool answers in one service time.
 */
import type { Profile } from './profiles.ts';
import type { Rng } from './rng.ts';

export class PoolTimeoutError extends Error {
  override name = 'PoolTimeoutError';
}
export class AbandonedError extends Error {
  override name = 'AbandonedError';
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  enqueuedAt: number;
  /** Returns true when the client that asked for this query has gone. */
  abandoned: (() => boolean) | undefined;
}

export class Pool {
  private inUse = 0;
  private readonly queue: Array<Waiter | undefined> = [];
  private head = 0;
  private readonly timer: NodeJS.Timeout;
  /** Queries run to completion, for the health check and metrics. */
  completed = 0;
  timeouts = 0;
  skipped = 0;

  constructor(
    private readonly cfg: Profile['pool'],
    private readonly rng: Rng,
  ) {
    // Waiters past acquireTimeoutMs are failed by a coarse sweep, not one timer each: cheap on the hot path.
    this.timer = setInterval(() => this.sweep(), Math.min(250, cfg.acquireTimeoutMs)).unref();
  }

  get size(): number {
    return this.cfg.size;
  }
  get busy(): number {
    return this.inUse;
  }
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Runs one simulated query: waits for a connection, holds it for a service time, releases it. */
  async query(abandoned?: () => boolean): Promise<void> {
    await this.acquire(abandoned);
    try {
      const j = this.cfg.jitter;
      const service = this.cfg.queryMs * (1 - j + 2 * j * this.rng());
      await new Promise<void>((r) => setTimeout(r, service));
      this.completed++;
    } finally {
      this.release();
    }
  }

  private acquire(abandoned: (() => boolean) | undefined): Promise<void> {
    if (this.inUse < this.cfg.size && this.waiting === 0) {
      this.inUse++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject, enqueuedAt: performance.now(), abandoned: this.cfg.skipAbandoned ? abandoned : undefined });
    });
  }

  private release(): void {
    this.inUse--;
    while (this.inUse < this.cfg.size) {
      const w = this.shift();
      if (!w) return;
      if (w.abandoned?.()) {
        this.skipped++;
        w.reject(new AbandonedError('client gone before its query ran'));
        continue;
      }
      this.inUse++;
      w.resolve();
    }
  }

  private shift(): Waiter | undefined {
    if (this.head >= this.queue.length) return undefined;
    const w = this.queue[this.head];
    this.queue[this.head++] = undefined;
    // Compact now and then so the array does not grow for ever.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return w;
  }

  private sweep(): void {
    const limit = performance.now() - this.cfg.acquireTimeoutMs;
    // FIFO: the oldest waiters are at the head.
    for (;;) {
      const w = this.queue[this.head];
      if (!w || w.enqueuedAt > limit) return;
      this.shift();
      this.timeouts++;
      w.reject(new PoolTimeoutError(`no database connection within ${this.cfg.acquireTimeoutMs} ms`));
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (let w = this.shift(); w; w = this.shift()) w.reject(new PoolTimeoutError('pool closed'));
  }
}
