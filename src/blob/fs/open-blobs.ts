/**
 * Open file descriptors of committed blobs, kept for a moment after a read so the next read of the same blob
 * skips open() and close().
 *
 * Why: on this kind of machine every file-system call that goes through libuv's thread pool costs the main
 * thread a hand-off and a wake-up; for ranged 1 MiB GETs of one large object (Zarr chunks, netCDF slices)
 * open + close were a fifth of the server's main-thread time, as much as the read itself.
 *
 * Safe because blobs are immutable: a blob id always names the same bytes. A descriptor is shared by every
 * reader of that blob (reads are positioned, `pread`), counted, and closed when no reader holds it and it has
 * been idle for `idleMs`, or when the blob is deleted through this store (the file's space is then freed as
 * soon as the last reader finishes). At most `maxOpen` idle descriptors are kept.
 */
import { close, open } from 'node:fs';

interface Entry {
  fd: Promise<number>;
  refs: number;
  idleSince: number;
  /** deleted through the store: close as soon as the last reader releases it, never hand it out again */
  doomed: boolean;
}

export interface OpenBlob {
  fd: number;
  /** Call exactly once when the reader is done with `fd`. */
  release(): void;
}

export class OpenBlobs {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly idleMs = 2000,
    private readonly maxOpen = 256,
  ) {
    this.timer = setInterval(() => this.closeIdle(Date.now() - this.idleMs), Math.max(250, idleMs / 2));
    this.timer.unref();
  }

  /** The descriptor of `path` opened read-only (shared); rejects like open(2) (ENOENT for a missing blob). */
  async acquire(path: string): Promise<OpenBlob> {
    // Entries in the map are never doomed: forget() and close() take them out as they doom them.
    let e = this.entries.get(path);
    if (!e) {
      const fd = new Promise<number>((resolve, reject) => open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd))));
      e = { fd, refs: 0, idleSince: 0, doomed: false };
      this.entries.set(path, e);
      const entry = e;
      // A failed open is not kept: the next reader tries again (and gets its own error).
      fd.catch(() => {
        if (this.entries.get(path) === entry) this.entries.delete(path);
      });
    }
    e.refs++;
    let fd: number;
    try {
      fd = await e.fd;
    } catch (err) {
      e.refs--;
      throw err;
    }
    const entry = e;
    let released = false;
    return {
      fd,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.refs > 0) return;
        entry.idleSince = Date.now();
        if (entry.doomed) this.closeEntry(path, entry);
        else if (this.entries.size > this.maxOpen) this.closeIdle(Infinity);
      },
    };
  }

  /** The blob at `path` is being deleted: stop sharing its descriptor and close it once no reader holds it. */
  forget(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    e.doomed = true;
    this.entries.delete(path);
    if (e.refs === 0) this.closeEntry(path, e);
  }

  /** Closes every descriptor no reader holds (the store is closing); held ones close on release. */
  close(): void {
    clearInterval(this.timer);
    for (const [path, e] of this.entries) {
      e.doomed = true;
      if (e.refs === 0) this.closeEntry(path, e);
    }
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Closes unheld descriptors idle since before `before` (Infinity: every unheld one). */
  private closeIdle(before: number): void {
    for (const [path, e] of this.entries) {
      if (e.refs === 0 && e.idleSince < before) this.closeEntry(path, e);
    }
  }

  private closeEntry(path: string, e: Entry): void {
    if (this.entries.get(path) === e) this.entries.delete(path);
    e.fd.then(
      (fd) => close(fd, () => undefined),
      () => undefined,
    );
  }
}
