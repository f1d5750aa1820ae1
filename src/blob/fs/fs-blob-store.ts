/**
 * FsBlobStore: the blob store on a local or shared POSIX filesystem.
 *
 * Layout under `root`:
 *   <root>/<aa>/<bb>/<blobId>       committed blobs; aa/bb are the first two byte-pairs of the hex id, so no
 *                                   directory holds more than ~1/65536 of the blobs
 *   <root>/tmp/<blobId>.<random>    writes in progress (or left behind by a crash)
 *
 * Durability protocol of `write` (see blob/store.ts): data → temp file, fdatasync, beforeCommit, rename
 * into place, fsync the destination directory. Fan-out directories are created lazily and their parent is
 * fsynced before any blob is renamed into them, so a committed blob's path survives a power cut.
 *
 * Performance matters here (64 MiB PUT/GET): chunks are written as they arrive, without copying or
 * accumulating; reads go through blob-reader.ts in 1 MiB chunks (pooled buffers) from descriptors shared
 * by concurrent readers and kept while idle (open-blobs.ts), so a GET does few, large reads and no open().
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BufferPool } from '../../lib/buffer-pool.js';
import { newId } from '../../lib/ids.js';
import type { BlobInfo, BlobStore, BlobWriteOptions, BlobWriteResult } from '../store.js';
import { BlobReader } from './blob-reader.js';
import { OpenBlobs } from './open-blobs.js';

/** Blob ids this store issues (and the only names it accepts, so a bad id can never escape `root`). */
const BLOB_ID = /^[0-9a-f]{32}$/;
const FAN_OUT = /^[0-9a-f]{2}$/;
const TMP_DIR = 'tmp';
/** See write(): how much is written between background datasyncs of a large blob. */
const SYNC_EVERY_BYTES = 4 * 1024 * 1024;
/** Bytes gathered before one writev: large enough to amortise the syscall, small enough to stay cheap. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** Reads are done in buffers of this size, reused across GETs (see lib/buffer-pool.ts). */
const READ_CHUNK_BYTES = 1024 * 1024;

export class FsBlobStore implements BlobStore {
  readonly root: string;
  private readonly tmpDir: string;
  /**
   * Fan-out directories known to exist *durably* ("aa" and "aa/bb"), as promises so concurrent first
   * writes into a new directory all wait for the same mkdir + parent fsync instead of racing past it.
   */
  private readonly dirs = new Map<string, Promise<void>>();
  /** Temporary files this process is writing: never swept, whatever their age (a slow upload is not a crash). */
  private readonly writing = new Set<string>();
  /** Descriptors of recently read blobs, shared by concurrent readers (see open-blobs.ts). */
  private readonly openBlobs = new OpenBlobs();
  /** 16 idle buffers at most: enough for 16 concurrent ranged GETs, 16 MiB kept at worst. */
  private readonly readBuffers = new BufferPool(READ_CHUNK_BYTES, 16);
  private closed = false;

  private constructor(root: string) {
    this.root = root;
    this.tmpDir = join(root, TMP_DIR);
  }

  /** Opens (creating if needed) a blob store rooted at `root`. */
  static async open(root: string): Promise<FsBlobStore> {
    await mkdir(join(root, TMP_DIR), { recursive: true });
    await fsyncDir(root);
    return new FsBlobStore(root);
  }

  async write(source: Readable | AsyncIterable<Uint8Array>, options: BlobWriteOptions = {}): Promise<BlobWriteResult> {
    if (this.closed) throw new Error('FsBlobStore is closed');
    const blobId = newId();
    const tmpPath = join(this.tmpDir, `${blobId}.${randomBytes(4).toString('hex')}`);
    const { iterable, detach } = sourceIterable(source);
    this.writing.add(tmpPath);
    let fh: FileHandle | undefined;
    let size = 0;
    try {
      // Start creating the fan-out directories while the body streams in; awaited before the rename.
      const dirReady = this.ensureDirs(blobId);
      dirReady.catch(() => {}); // observed below; avoid an unhandled rejection if the body fails first
      fh = await open(tmpPath, 'wx', 0o644);
      // Gather incoming chunks (typically 16–64 KiB from a socket) into batches written with one writev
      // while the next batch is being received and hashed upstream: the disk write overlaps the CPU work
      // instead of alternating with it. At most two batches are in memory.
      const file = fh;
      let inFlight: Promise<void> | undefined;
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      // Large bodies are synced as they arrive (a datasync in the background every SYNC_EVERY_BYTES), so
      // the disk writes back while the rest streams in and the final sync only has the tail left to flush.
      let syncedUpTo = 0;
      let syncing: Promise<void> | undefined;
      const flush = async (): Promise<void> => {
        if (inFlight) await inFlight;
        const written = size - batchBytes; // every write before this batch, all completed now
        if (written - syncedUpTo >= SYNC_EVERY_BYTES && !syncing) {
          syncedUpTo = written;
          const s = file.datasync().finally(() => {
            if (syncing === s) syncing = undefined;
          });
          syncing = s;
          s.catch(() => {}); // observed before the final sync
        }
        const chunks = batch;
        batch = [];
        batchBytes = 0;
        inFlight = chunks.length ? writevFully(file, chunks) : undefined;
        inFlight?.catch(() => {}); // observed at the next flush or after the loop
      };
      for await (const chunk of iterable) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        batch.push(buf);
        batchBytes += buf.byteLength;
        size += buf.byteLength;
        if (batchBytes >= WRITE_BATCH_BYTES) await flush();
      }
      await flush();
      if (inFlight) await inFlight;
      if (syncing) await syncing;
      // The final sync and the caller's checks (e.g. waiting for a digest computed elsewhere) overlap.
      await Promise.all([fh.datasync(), options.beforeCommit?.()]);
      // Close before the rename so no descriptor outlives a failed rename.
      const handle = fh;
      fh = undefined;
      await handle.close();
      await dirReady;
      const dir = this.dirOf(blobId);
      await rename(tmpPath, join(dir, blobId));
      await fsyncDir(dir);
      return { blobId, size };
    } catch (err) {
      if (fh) await fh.close().catch(() => {});
      await unlink(tmpPath).catch(() => {});
      throw err;
    } finally {
      this.writing.delete(tmpPath);
      detach();
    }
  }

  read(blobId: string, range?: { start: number; end: number }): Readable {
    const path = this.pathOf(blobId);
    if (range) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new RangeError(`invalid blob range [${start}, ${end}]`);
      }
      return new BlobReader(this.openBlobs, path, start, end, this.readBuffers);
    }
    return new BlobReader(this.openBlobs, path, 0, Infinity, this.readBuffers);
  }

  async delete(blobId: string): Promise<void> {
    const path = this.pathOf(blobId);
    this.openBlobs.forget(path);
    try {
      await unlink(path);
    } catch (err) {
      if (!isCode(err, 'ENOENT')) throw err;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    for (const aa of await readdirOrEmpty(this.root)) {
      if (!FAN_OUT.test(aa)) continue; // skips tmp/ and anything foreign
      for (const bb of await readdirOrEmpty(join(this.root, aa))) {
        if (!FAN_OUT.test(bb)) continue;
        const dir = join(this.root, aa, bb);
        for (const name of await readdirOrEmpty(dir)) {
          if (!BLOB_ID.test(name) || name.slice(0, 2) !== aa || name.slice(2, 4) !== bb) continue;
          try {
            const st = await stat(join(dir, name));
            if (st.isFile()) yield { blobId: name, mtimeMs: st.mtimeMs };
          } catch (err) {
            if (!isCode(err, 'ENOENT')) throw err; // deleted while we walked: not a blob any more
          }
        }
      }
    }
  }

  async sweepTemporary(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of await readdirOrEmpty(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      if (this.writing.has(path)) continue;
      try {
        const st = await stat(path);
        // `<=` so that sweepTemporary(0) also takes files written in the current millisecond.
        if (!st.isFile() || st.mtimeMs > cutoff) continue;
        await unlink(path);
        removed++;
      } catch (err) {
        if (!isCode(err, 'ENOENT')) throw err; // finished or cleaned up concurrently
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    // Every write closes its own descriptor; kept read descriptors close now (or when their reader ends).
    this.closed = true;
    this.openBlobs.close();
  }

  private dirOf(blobId: string): string {
    return join(this.root, blobId.slice(0, 2), blobId.slice(2, 4));
  }

  private pathOf(blobId: string): string {
    if (!BLOB_ID.test(blobId)) throw new RangeError(`invalid blob id: ${JSON.stringify(blobId)}`);
    return join(this.dirOf(blobId), blobId);
  }

  private ensureDirs(blobId: string): Promise<void> {
    const aa = blobId.slice(0, 2);
    const aabb = `${aa}/${blobId.slice(2, 4)}`;
    const known = this.dirs.get(aabb);
    if (known) return known;
    let top = this.dirs.get(aa);
    if (!top) top = this.remember(aa, mkdirDurable(join(this.root, aa), this.root));
    return this.remember(aabb, top.then(() => mkdirDurable(join(this.root, aabb), join(this.root, aa))));
  }

  private remember(rel: string, p: Promise<void>): Promise<void> {
    this.dirs.set(rel, p);
    // Forget failures (EACCES, ENOSPC, …) so a later write retries instead of failing forever.
    p.catch(() => this.dirs.delete(rel));
    return p;
  }
}

/**
 * Creates `dir` and fsyncs `parent` so the new entry is durable. The parent is fsynced even when the
 * directory already existed: on a shared filesystem another process may have created it a moment ago
 * and not yet synced it. This happens once per directory per process, so it costs next to nothing.
 */
async function mkdirDurable(dir: string, parent: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    if (!isCode(err, 'EEXIST')) throw err;
  }
  await fsyncDir(parent);
}

async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch (err) {
    // Some filesystems cannot fsync a directory (EINVAL per fsync(2)); there is nothing better to do.
    if (!isCode(err, 'EINVAL')) throw err;
  } finally {
    await dh.close();
  }
}

/** `write(2)` may write less than asked (rare on regular files, but e.g. near ENOSPC); loop until done. */
/** Writes every chunk, in order, with as few writev calls as the kernel allows. */
async function writevFully(fh: FileHandle, chunks: Uint8Array[]): Promise<void> {
  let pending = chunks;
  while (pending.length > 0) {
    const { bytesWritten } = await fh.writev(pending);
    let n = bytesWritten;
    let i = 0;
    while (i < pending.length && n >= pending[i]!.byteLength) {
      n -= pending[i]!.byteLength;
      i++;
    }
    pending = pending.slice(i);
    if (n > 0) pending[0] = pending[0]!.subarray(n);
  }
}

/**
 * Turns the source into something to `for await` over, such that every way a body can fail rejects the
 * loop: 'error' and destroy-without-end (ERR_STREAM_PREMATURE_CLOSE) are handled by Node's stream
 * iterator; a legacy 'aborted' event (older HTTP bodies) is turned into a destroy with an error.
 *
 * The stream is NOT destroyed when *we* stop early (disk full, closed store): the caller owns the request
 * and may still want to answer it with an error rather than have its socket torn down.
 */
function sourceIterable(source: Readable | AsyncIterable<Uint8Array>): {
  iterable: AsyncIterable<Uint8Array | string>;
  detach: () => void;
} {
  if (!(source instanceof Readable)) return { iterable: source, detach: () => {} };
  const onAborted = () => {
    if (!source.destroyed) source.destroy(Object.assign(new Error('request aborted'), { code: 'ECONNRESET' }));
  };
  source.on('aborted', onAborted);
  return {
    iterable: source.iterator({ destroyOnReturn: false }),
    detach: () => source.off('aborted', onAborted),
  };
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) return [];
    throw err;
  }
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
