/**
 * Usage history: every `intervalMs` (and once right after start) records each tenancy's usage counters as
 * a sample, which the portal draws as a chart against the quota.
 *
 * Sample times are rounded down to the interval, so several gateways sampling in the same interval write
 * the same row (an upsert on (tenancy, at)) instead of one row each; the sample right after start is
 * rounded the same way and is simply refreshed by the next one in that interval. Samples older than
 * the history API's window are not read; they go with their tenancy.
 */
import type { QuotaRepository, TenancyRepository } from '../metadata/store.js';

export interface UsageSamplerOptions {
  intervalMs: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  now?: () => number;
}

export class UsageSampler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopping = false;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(
    private readonly metadata: QuotaRepository & TenancyRepository,
    private readonly options: UsageSamplerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Takes a sample now, then one every interval. Idempotent; the timer never keeps the process alive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.tail = this.sampleOnce().catch((e: unknown) => this.options.log?.('usage sample failed', { error: (e as Error).message }));
    this.schedule();
  }

  /** Resolves once a sample in progress (e.g. the one taken at start) has finished. */
  async idle(): Promise<void> {
    await this.tail.catch(() => {});
  }

  /** Stops sampling and waits for a sample in progress. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.tail.catch(() => {});
  }

  /** Records every tenancy's current usage; returns how many samples were written. */
  async sampleOnce(): Promise<number> {
    const at = Math.floor(this.now() / this.options.intervalMs) * this.options.intervalMs;
    let n = 0;
    for (const t of await this.metadata.listTenancies()) {
      if (this.stopping) break; // do not hold up shutdown
      try {
        await this.metadata.recordUsageSample(t.id, at, await this.metadata.getTenancyUsage(t.id));
        n++;
      } catch (e) {
        // A tenancy deleted meanwhile (foreign key) must not stop the others.
        this.options.log?.('usage sample failed', { tenancy: t.name, error: (e as Error).message });
      }
    }
    return n;
  }

  private schedule(): void {
    if (!this.running || this.timer) return;
    // Re-armed after each pass (not setInterval): a slow pass delays the next instead of piling up.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const pass = this.tail
        .catch(() => {})
        .then(() => this.sampleOnce())
        .catch((e: unknown) => this.options.log?.('usage sample failed', { error: (e as Error).message }))
        .finally(() => this.schedule());
      this.tail = pass;
    }, this.options.intervalMs);
    this.timer.unref();
  }
}
