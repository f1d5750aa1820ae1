/**
 * Room on the data filesystem(s), so that a full disk never deadlocks the store (issue 15 #3).
 *
 * - A low-water mark (`minFreeBytes`): while free space is below it, new data is refused up front with
 *   InsufficientStorage (507, not retryable), before a byte of the body is read. Deletes and other
 *   metadata-only requests still run, and the room above zero stays for them and the metadata store.
 * - A reserve file (embedded mode, where the metadata database shares the data filesystem): `reserveBytes`
 *   written into `<data>/space-reserve` while there is room. When something else fills the disk anyway
 *   (another program, a log), the reserve is released, once free space is nearly gone or as soon as the
 *   database reports SQLITE_FULL (`releaseReserve`, called by the store, which then retries the commit), so
 *   that deletes can still commit and start giving space back. It is written again once free space is
 *   back above the mark with the reserve on top.
 * - ENOSPC or EDQUOT anywhere (a blob write, a database write) is answered InsufficientStorage as well
 *   (errors/storage-full.ts), never 500.
 */
import { closeSync, existsSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { S3Error } from '../errors/s3-error.js';
import { formatSize } from '../lib/format-size.js';

export interface CapacityOptions {
  /** Directories whose filesystems hold data (blob store, metadata database). */
  paths: string[];
  /** Low-water mark in bytes; undefined = the smaller of 256 MiB and 2 % of the smallest filesystem. */
  minFreeBytes?: number;
  /** The reserve file, or undefined for none (PostgreSQL mode: metadata lives elsewhere). */
  reserve?: { path: string; bytes: number };
  /** How often free space is looked at in the background (ms). */
  intervalMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/**
 * Free space older than this is looked up again before a write is admitted (statfs is cheap, but one per
 * small PUT under load is not free; a quarter second of staleness is covered by the mark's slack).
 */
const FRESH_MS = 250;
const DEFAULT_MARK_BYTES = 256 * 1024 * 1024;
const DEFAULT_MARK_FRACTION = 0.02;
const CHUNK = 1024 * 1024;

export class StorageCapacity {
  #free: { bytes: number; size: number; at: number } | undefined;
  #pending: Promise<{ bytes: number; size: number }> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reserveHeld = false;
  #lastWarned = 0;
  readonly minFreeBytes: number | undefined;

  constructor(private readonly opts: CapacityOptions) {
    this.minFreeBytes = opts.minFreeBytes;
  }

  /** Opens: looks at free space once and writes the reserve if there is room for it. */
  async start(): Promise<void> {
    this.#reserveHeld = this.opts.reserve ? existsSync(this.opts.reserve.path) && statSync(this.opts.reserve.path).size >= this.opts.reserve.bytes : false;
    await this.tend();
    const every = this.opts.intervalMs ?? 5000;
    this.#timer = setInterval(() => void this.tend().catch(() => undefined), every);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** The low-water mark in force (see CapacityOptions.minFreeBytes). */
  async mark(): Promise<number> {
    if (this.opts.minFreeBytes !== undefined) return this.opts.minFreeBytes;
    const { size } = await this.free();
    return Math.min(DEFAULT_MARK_BYTES, Math.floor(size * DEFAULT_MARK_FRACTION));
  }

  /**
   * Throws InsufficientStorage unless `bytes` (undefined: unknown, only the mark is checked) fit above the
   * low-water mark. Called for every request that adds data, before its body is read.
   */
  async requireRoom(bytes: number | undefined): Promise<void> {
    const { bytes: free } = await this.free();
    const mark = await this.mark();
    if (free - (bytes ?? 0) >= mark) {
      // Writes admitted within one look at free space count against it, so a burst cannot pass the mark.
      if (this.#free && bytes) this.#free.bytes -= bytes;
      return;
    }
    void this.tend().catch(() => undefined);
    const now = Date.now();
    if (now - this.#lastWarned > 60_000) {
      this.#lastWarned = now;
      this.opts.log?.('free space is below the low-water mark: new data is refused', { free, minFreeBytes: mark, freeText: formatSize(Math.max(0, free)) });
    }
    // Nothing about the site's capacity in the answer: anonymous writers of public buckets see it too.
    throw new S3Error('InsufficientStorage', bytes !== undefined ? { details: { ProposedSize: bytes } } : {});
  }

  /**
   * Frees the reserve file, synchronously (the metadata store calls this when a commit fails for want of
   * space, then retries). True when space was freed.
   */
  releaseReserve(): boolean {
    const r = this.opts.reserve;
    if (!r || !this.#reserveHeld) return false;
    try {
      unlinkSync(r.path);
    } catch {
      // already gone
    }
    this.#reserveHeld = false;
    this.#free = undefined;
    this.opts.log?.('released the space reserve so the metadata store can commit (the disk is full)', { bytes: r.bytes });
    return true;
  }

  /** Free bytes on the fullest of the filesystems (what an unprivileged writer may still use). */
  private async free(): Promise<{ bytes: number; size: number }> {
    const f = this.#free;
    if (f && Date.now() - f.at < FRESH_MS) return f;
    this.#pending ??= (async () => {
      try {
        let bytes = Infinity;
        let size = Infinity;
        for (const p of this.opts.paths) {
          const s = await statfs(p);
          bytes = Math.min(bytes, s.bavail * s.bsize);
          size = Math.min(size, s.blocks * s.bsize);
        }
        this.#free = { bytes, size, at: Date.now() };
        return { bytes, size };
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }

  /** Releases the reserve when the disk is nearly out of space, writes it back when there is room. */
  private async tend(): Promise<void> {
    const r = this.opts.reserve;
    if (!r || r.bytes <= 0) return;
    this.#free = undefined;
    const { bytes: free } = await this.free();
    if (this.#reserveHeld) {
      // Less than a sixteenth of the reserve left: the next commits may fail; give them the reserve now.
      if (free < r.bytes / 16) this.releaseReserve();
      return;
    }
    if (free - r.bytes >= (await this.mark())) this.writeReserve(r);
  }

  private writeReserve(r: { path: string; bytes: number }): void {
    // Real blocks (not a sparse file), and not zeros (which compressing filesystems would not store).
    const chunk = randomBytes(Math.min(CHUNK, r.bytes));
    let fd: number | undefined;
    try {
      fd = openSync(r.path, 'w', 0o600);
      for (let written = 0; written < r.bytes; ) {
        const n = writeSync(fd, chunk, 0, Math.min(chunk.length, r.bytes - written));
        written += n;
      }
      this.#reserveHeld = true;
    } catch (e) {
      // No room after all: the reserve stays absent and is tried again later.
      try {
        unlinkSync(r.path);
      } catch {
        // nothing written
      }
      this.opts.log?.('could not write the space reserve', { err: (e as Error).message });
    } finally {
      if (fd !== undefined) closeSync(fd);
      this.#free = undefined;
    }
  }
}
