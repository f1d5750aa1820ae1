/**
 * MD5 (and other node:crypto digests) of large bodies, computed on worker threads.
 *
 * Every PUT and UploadPart needs the MD5 of its bytes for the ETag. On the event loop that costs ~2 ms per
 * MiB (MD5 runs at ~500 MiB/s on this class of machine), which alone made a 64 MiB PUT half as fast as a
 * server that only writes the bytes to disk. On a worker the hashing runs on another core while the main
 * thread keeps moving bytes from socket to file.
 *
 * The bytes are copied into 1 MiB slabs that are transferred (moved, not copied) to the worker, which
 * hands each back with its acknowledgement; returned slabs go to a small pool, so hashing allocates
 * nothing per batch (fresh buffers per batch left ~100 MiB of garbage behind a 1 GiB multipart upload).
 * Not SharedArrayBuffers, which this used until 2026-11-29: V8 copies into shared memory with relaxed
 * atomic stores (2.6x a plain memcpy in isolation), and in a 64 MiB PUT the copy took ~1.3 ms per MiB
 * of the main thread; with moved slabs the main thread needs 1.2-1.5 instead of 1.8-2.0 ms per MiB and
 * 64 MiB PUTs are ~9 % faster (nine alternated pairs). One hash always stays on
 * one worker so its updates arrive in order. Each hash may have only so many bytes in flight (see
 * `pendingLimit`): `update` then returns a promise the writer awaits, so a slow worker slows the upload
 * (backpressure) instead of queueing the object in memory.
 *
 * On the worker (hash-worker.ts) the MD5s of concurrent uploads are compressed together, four at a time in
 * SIMD lanes (md5-lanes.ts): in a 1 GiB multipart upload at concurrency 4 the worker spends 1.2-1.6 instead of
 * ~2 ms per MiB. Only hashes on the same worker share lanes; with one worker (2-core machines) that is all.
 */
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BufferPool } from './buffer-pool.js';
import type { HashReply, HashRequest } from './hash-worker.js';

const SLAB_BYTES = 1024 * 1024;
/**
 * Bytes in flight per hash: the hashes in progress share PENDING_BUDGET, each between MIN and MAX. An upload
 * alone may run 8 MiB ahead of the worker, which rides out the moments when both cores are busy elsewhere
 * (a single 64 MiB PUT: ~4-7 % faster and less CPU per MiB than with 4 MiB, eight alternated pairs);
 * concurrent ones keep the 4 MiB each they always had (a 1 GiB multipart at concurrency 4), so the memory
 * all uploads hold for hashing stays ~16 MiB however many there are.
 */
const PENDING_BUDGET = 16 * SLAB_BYTES;
const MIN_PENDING = 2 * SLAB_BYTES;
const MAX_PENDING = 8 * SLAB_BYTES;
/** Free slabs kept for reuse; more than this (after a burst of concurrent uploads) are left to the GC. */
const POOL_MAX = 24;
// A pool buffer owns its whole ArrayBuffer: that is what travels to the worker and back.
const slabs = new BufferPool(SLAB_BYTES, POOL_MAX);
const releaseSlab = (s: ArrayBuffer): void => slabs.give(Buffer.from(s));
/** For tests: slabs ever allocated and those waiting in the pool. */
export const slabStats = (): { allocated: number; pooled: number } => ({ allocated: slabs.allocated, pooled: slabs.idleCount });

/**
 * The worker's module (hash-worker.ts), loaded by a small CommonJS bootstrap: from dist/ it is plain
 * JavaScript; under tsx (the tests) it is TypeScript, which a worker cannot load by itself (tsx's loader is
 * not inherited by workers), so the bootstrap goes through tsx's own import function then.
 */
const here = fileURLToPath(import.meta.url);
const WORKER_URL = new URL(`./hash-worker${extname(here)}`, import.meta.url).href;
const TSX_API = extname(here) === '.ts' ? import.meta.resolve('tsx/esm/api') : undefined;
const WORKER_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const load = workerData.tsx ? import(workerData.tsx).then((t) => t.tsImport(workerData.url, workerData.url)) : import(workerData.url);
load.catch((e) => process.nextTick(() => { throw e; })); // a worker that cannot load dies: its hashes fail
`;

interface Session {
  onAck(n: number, slab: ArrayBuffer): void;
  onDigest(hex: string): void;
  onError(e: Error): void;
}

class HashWorker {
  readonly worker: Worker;
  readonly #sessions = new Map<number, Session>();

  get load(): number {
    return this.#sessions.size;
  }

  add(id: number, s: Session): void {
    // Referenced only while some hash is in progress: an idle worker never keeps the process alive.
    if (this.#sessions.size === 0) this.worker.ref();
    this.#sessions.set(id, s);
  }

  remove(id: number): boolean {
    const had = this.#sessions.delete(id);
    if (had && this.#sessions.size === 0) this.worker.unref();
    return had;
  }

  constructor(onExit: (w: HashWorker) => void) {
    this.worker = new Worker(WORKER_BOOTSTRAP, { eval: true, name: 'granary-hash', workerData: { url: WORKER_URL, tsx: TSX_API } });
    this.worker.unref();
    this.worker.on('message', (m: HashReply) => {
      const s = this.#sessions.get(m.id);
      if (!s) {
        if (m.op === 'ack') releaseSlab(m.slab); // of a hash dropped meanwhile
        return;
      }
      if (m.op === 'ack') s.onAck(m.n, m.slab);
      else if (m.op === 'digest') s.onDigest(m.hex);
      else s.onError(new Error(`hash worker: ${m.message}`));
    });
    const fail = (e: Error): void => {
      const live = [...this.#sessions.values()];
      this.#sessions.clear();
      for (const s of live) s.onError(e);
      onExit(this);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`hash worker exited with code ${code}`)));
  }
}

/** A running digest whose work happens on a worker thread. */
export interface OffloadedHash {
  /** Feeds bytes; when a promise is returned, wait for it before feeding more. */
  update(chunk: Buffer): Promise<void> | undefined;
  /** The hex digest of everything fed. */
  digest(): Promise<string>;
  /** Abandons the hash (the upload failed). */
  drop(): void;
}

export class HashOffload {
  readonly #workers: HashWorker[] = [];
  readonly #size: number;
  #nextId = 1;
  /** Hashes created and not yet digested, dropped or failed. */
  #active = 0;

  /** How many bytes one hash may have in flight now. */
  pendingLimit(): number {
    return Math.min(MAX_PENDING, Math.max(MIN_PENDING, Math.floor(PENDING_BUDGET / Math.max(1, this.#active))));
  }

  constructor(workers = Math.max(1, Math.min(4, availableParallelism() - 1))) {
    this.#size = workers;
  }

  /**
   * Starts the workers now instead of at the first large upload: loading a worker's modules and compiling its
   * WebAssembly takes ~40-70 ms, which the first upload would otherwise wait for. Idle workers keep nothing alive.
   */
  start(): void {
    while (this.#workers.length < this.#size) this.spawn();
  }

  private spawn(): HashWorker {
    const w = new HashWorker((dead) => {
      const i = this.#workers.indexOf(dead);
      if (i >= 0) this.#workers.splice(i, 1);
    });
    this.#workers.push(w);
    return w;
  }

  private pick(): HashWorker {
    if (this.#workers.length < this.#size) return this.spawn();
    let best = this.#workers[0]!;
    for (const w of this.#workers) if (w.load < best.load) best = w;
    return best;
  }

  create(algorithm: 'md5' | 'sha1' | 'sha256' = 'md5'): OffloadedHash {
    const w = this.pick();
    const id = this.#nextId++;
    this.#active++;
    const limit = (): number => this.pendingLimit();
    let counted = true;
    const done = (): void => {
      if (counted) {
        counted = false;
        this.#active--;
      }
    };
    // The slab being filled; posted ones belong to the worker until it hands them back with its ack.
    let slab: Buffer | undefined;
    let filled = 0;
    let pending = 0;
    let failed: Error | undefined;
    let wake: { resolve: () => void; reject: (e: Error) => void } | undefined;
    let result: { resolve: (hex: string) => void; reject: (e: Error) => void } | undefined;
    const session: Session = {
      onAck(n, returned) {
        pending -= n;
        releaseSlab(returned);
        if (wake && pending <= limit() / 2) {
          const k = wake;
          wake = undefined;
          k.resolve();
        }
      },
      onDigest(hex) {
        done();
        w.remove(id);
        result?.resolve(hex);
      },
      onError(e) {
        done();
        failed = e;
        w.remove(id);
        wake?.reject(e);
        result?.reject(e);
      },
    };
    w.add(id, session);
    w.worker.postMessage({ op: 'create', id, algorithm } satisfies HashRequest);

    const post = (): void => {
      if (!slab || filled === 0) return;
      pending += filled;
      const moved = slab.buffer as ArrayBuffer; // BufferPool.take(): a plain ArrayBuffer of its own
      w.worker.postMessage({ op: 'update', id, slab: moved, n: filled } satisfies HashRequest, [moved]);
      slab = undefined;
      filled = 0;
    };

    return {
      update(chunk) {
        if (failed) throw failed;
        for (let off = 0; off < chunk.length; ) {
          slab ??= slabs.take();
          const n = Math.min(SLAB_BYTES - filled, chunk.length - off);
          slab.set(chunk.subarray(off, off + n), filled);
          filled += n;
          off += n;
          if (filled === SLAB_BYTES) post();
        }
        if (pending <= limit()) return undefined;
        const p = new Promise<void>((resolve, reject) => {
          wake = { resolve, reject };
        });
        // The writer now waits for slabs to come back: the worker must not hold this hash back to fill lanes.
        w.worker.postMessage({ op: 'hurry', id } satisfies HashRequest);
        // The writer may await it only a little later (after passing the chunk on): a worker dying in
        // between must not count as an unhandled rejection, which would end the process.
        p.catch(() => {});
        return p;
      },
      digest() {
        if (failed) return Promise.reject(failed);
        post();
        return new Promise<string>((resolve, reject) => {
          result = { resolve, reject };
          w.worker.postMessage({ op: 'digest', id } satisfies HashRequest);
        });
      },
      drop() {
        done();
        if (slab) slabs.give(slab); // never posted: still ours
        slab = undefined;
        if (!w.remove(id)) return;
        w.worker.postMessage({ op: 'drop', id } satisfies HashRequest);
      },
    };
  }

  /** The queue now (metrics): worker threads, hashes in progress, the most any one worker holds. */
  stats(): { workers: number; active: number; busiest: number } {
    return { workers: this.#workers.length, active: this.#active, busiest: this.#workers.reduce((m, w) => Math.max(m, w.load), 0) };
  }

  async close(): Promise<void> {
    const ws = this.#workers.splice(0);
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

/** The process-wide pool: hashing is stateless, so every store and operation can share it. */
export const hashOffload = new HashOffload();
