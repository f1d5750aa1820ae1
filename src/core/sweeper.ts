/**
 * BlobSweeper: the garbage collector that keeps the blob store equal to what the metadata references.
 *
 * A pass (runOnce) does three things, each independent of the others' failure:
 *  (a) queued deletions: blobs the metadata store queued when an object was replaced/deleted or an upload
 *      aborted. Only those queued before now - queuedDeleteDelayMs, because a GET that read the metadata a
 *      moment ago may still be about to open the file.
 *  (b) orphans: blobs on disk that no row knows, e.g. a PUT whose metadata commit failed or a crash between
 *      rename and commit. Only those older than orphanGraceMs, because a blob whose metadata commit is in
 *      flight is not referenced *yet*.
 *  (c) temporary files older than tmpGraceMs (crashed or abandoned writes).
 *
 * Every step is idempotent and tolerates other sweepers (several gateways on one shared filesystem may
 * run one each): deleting a missing blob is fine and acking twice is harmless. With several gateways the
 * composition root also passes `exclusive` (a PostgreSQL advisory lock) so only one pass runs at a time
 * site-wide, and enforces a large orphanGraceMs: the in-flight floor below protects only this process's
 * own writes, not a blob another gateway renamed into place and is about to commit.
 */
import type { BlobStore } from '../blob/store.js';
import type { BlobGcRepository } from '../metadata/store.js';
import { createLogger } from '../lib/log.js';

export interface BlobSweeperOptions {
  /** Delay between a blob being queued for deletion and the file being removed. Default 60 s. */
  queuedDeleteDelayMs: number;
  /** Minimum age (file mtime) of an unreferenced blob before it counts as an orphan. Default 1 h. */
  orphanGraceMs: number;
  /** Minimum age of a temporary file before it is removed. Default 1 h. */
  tmpGraceMs: number;
  /** Time between the end of one pass and the start of the next. Default 30 s. */
  intervalMs: number;
  /**
   * A blob this process wrote within this window may be between its rename and its metadata commit, so it
   * is never taken for an orphan whatever orphanGraceMs says; blobs older than the process cannot be in
   * flight here. Default 60 s.
   */
  inFlightFloorMs: number;
  /**
   * Optional site-wide mutual exclusion: runs the pass inside it, or skips the pass (`ran: false`) when
   * another process is sweeping right now.
   */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<{ ran: true; value: T } | { ran: false }>;
  log?: (msg: string, fields?: object) => void;
}

export interface SweepResult {
  deletedQueued: number;
  deletedOrphans: number;
  deletedTemporary: number;
}

const DEFAULTS: Omit<BlobSweeperOptions, 'log' | 'exclusive'> = {
  queuedDeleteDelayMs: 60_000,
  orphanGraceMs: 3_600_000,
  tmpGraceMs: 3_600_000,
  intervalMs: 30_000,
  inFlightFloorMs: 60_000,
};

/** Queued deletions taken per round trip to the metadata store. */
const BATCH = 500;

export class BlobSweeper {
  private readonly options: Omit<BlobSweeperOptions, 'log' | 'exclusive'>;
  private readonly log: (msg: string, fields?: object) => void;
  private readonly exclusive: BlobSweeperOptions['exclusive'];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Set while stop() waits, so a long orphan walk ends early instead of holding up shutdown. */
  private stopRequested = false;
  /** The pass in progress (or the tail of queued passes); passes are chained, never concurrent. */
  private tail: Promise<unknown> = Promise.resolve();

  private readonly startedAt = Date.now();
  /** Passes this process ran to the end (failed or not) and what they deleted, for metrics. */
  readonly progress = { passes: 0, lastPassAt: undefined as number | undefined, deletedQueued: 0, deletedOrphans: 0, deletedTemporary: 0 };

  constructor(
    private readonly metadata: BlobGcRepository,
    private readonly blobs: BlobStore,
    options: Partial<BlobSweeperOptions> = {},
  ) {
    const { log, exclusive, ...rest } = options;
    this.options = { ...DEFAULTS, ...stripUndefined(rest) };
    this.exclusive = exclusive;
    // The composition root passes the server's log; a sweeper made elsewhere (tools, tests) logs to stderr.
    this.log = log ?? ((msg, fields) => createLogger('info').info(`sweeper: ${msg}`, fields as Record<string, unknown> | undefined));
  }

  /** Starts periodic passes (the first after one interval). Idempotent. The timer never keeps the process alive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopRequested = false;
    this.schedule();
  }

  /** Stops scheduling passes and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.stopRequested = true;
    try {
      await this.tail.catch(() => {});
    } finally {
      this.stopRequested = false;
    }
  }

  /**
   * Runs one pass now (after any pass in progress). All three steps run even if one fails; failures are
   * logged, and the returned promise then rejects with the first one, after the pass has finished.
   */
  runOnce(now: number = Date.now()): Promise<SweepResult> {
    const pass = this.tail.catch(() => {}).then(() => this.pass(now));
    this.tail = pass;
    return pass;
  }

  private schedule(): void {
    // `this.timer` check: a stop() + start() while a pass runs must not leave two timer chains behind.
    if (!this.running || this.timer) return;
    // setTimeout re-armed after each pass (not setInterval): a slow pass delays the next instead of piling up.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runOnce()
        .catch(() => {}) // already logged step by step; the next interval retries
        .finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async pass(now: number): Promise<SweepResult> {
    if (!this.exclusive) return this.passUnlocked(now);
    const r = await this.exclusive(() => this.passUnlocked(now));
    return r.ran ? r.value : { deletedQueued: 0, deletedOrphans: 0, deletedTemporary: 0 };
  }

  private async passUnlocked(now: number): Promise<SweepResult> {
    const result: SweepResult = { deletedQueued: 0, deletedOrphans: 0, deletedTemporary: 0 };
    const errors: unknown[] = [];
    const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
        this.log(`${name} failed`, { error: err instanceof Error ? err.message : String(err) });
      }
    };
    await step('queued deletions', async () => {
      await this.sweepQueued(now, result);
    });
    await step('orphan sweep', async () => {
      await this.sweepOrphans(now, result);
    });
    await step('temporary sweep', async () => {
      result.deletedTemporary = await this.blobs.sweepTemporary(this.options.tmpGraceMs);
    });
    if (result.deletedQueued + result.deletedOrphans + result.deletedTemporary > 0) this.log('pass done', result);
    const p = this.progress;
    p.passes++;
    p.lastPassAt = Date.now();
    p.deletedQueued += result.deletedQueued;
    p.deletedOrphans += result.deletedOrphans;
    p.deletedTemporary += result.deletedTemporary;
    if (errors.length > 0) throw errors[0];
    return result;
  }

  private async sweepQueued(now: number, result: SweepResult): Promise<void> {
    const before = now - this.options.queuedDeleteDelayMs;
    // A blob whose delete failed (EACCES, EIO…) stays queued and comes back in every take: remember it,
    // keep going while batches still make progress, and report the first failure at the end.
    const failed = new Set<string>();
    let firstError: unknown;
    for (;;) {
      const ids = await this.metadata.takeBlobDeletions(before, BATCH);
      const todo = ids.filter((id) => !failed.has(id));
      const done: string[] = [];
      for (const id of todo) {
        try {
          await this.blobs.delete(id);
          done.push(id);
        } catch (err) {
          failed.add(id);
          firstError ??= err;
        }
      }
      if (done.length > 0) {
        await this.metadata.ackBlobDeletions(done);
        result.deletedQueued += done.length;
      }
      if (ids.length < BATCH || done.length === 0 || this.stopRequested) break;
    }
    if (failed.size > 0) {
      this.log('some queued blob deletions failed; retrying next pass', { count: failed.size });
      throw firstError;
    }
  }

  private async sweepOrphans(now: number, result: SweepResult): Promise<void> {
    const cutoff = now - this.options.orphanGraceMs;
    const inFlightCutoff = Math.max(this.startedAt, now - this.options.inFlightFloorMs);
    for await (const { blobId, mtimeMs } of this.blobs.list()) {
      if (this.stopRequested) return;
      if (mtimeMs >= cutoff || mtimeMs >= inFlightCutoff) continue;
      if (await this.metadata.isBlobKnown(blobId)) continue;
      await this.blobs.delete(blobId);
      result.deletedOrphans++;
      this.log('deleted orphan blob', { blobId, mtimeMs });
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
