/**
 * The hashing worker thread started by hash-offload.ts (protocol there). MD5s go through Md5Lanes, so that the
 * hashes of concurrent uploads are compressed together in SIMD lanes; other algorithms (and MD5 where
 * WebAssembly SIMD is missing) through node:crypto.
 *
 * Lane hashing runs in rounds of at most 256 KiB per hash, one per event-loop turn (setImmediate), so that the
 * slabs of other uploads that arrived meanwhile join the next round instead of waiting behind a long queue; a
 * round that would leave lanes empty may wait up to LANE_WAIT_MS for them (Md5Lanes.worthWaiting).
 */
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { Md5Lanes, Md5Stream } from './md5-lanes.js';

export type HashRequest =
  | { op: 'create'; id: number; algorithm: string }
  | { op: 'update'; id: number; slab: ArrayBuffer; n: number }
  | { op: 'digest'; id: number }
  /** The hash's writer is waiting for its slabs to come back (backpressure). */
  | { op: 'hurry'; id: number }
  | { op: 'drop'; id: number };

export type HashReply = { id: number; op: 'ack'; n: number; slab: ArrayBuffer } | { id: number; op: 'digest'; hex: string } | { id: number; op: 'error'; message: string };

const port = parentPort!;
const reply = (m: HashReply, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
const ack = (id: number, n: number, slab: ArrayBuffer): void => reply({ id, op: 'ack', n, slab }, [slab]);

let lanes: Md5Lanes | undefined;
try {
  lanes = new Md5Lanes();
} catch {
  lanes = undefined; // no WebAssembly SIMD here: node:crypto's MD5 for every hash
}

const hashes = new Map<number, Hash | Md5Stream>();
const isLane = (h: Hash | Md5Stream | undefined): h is Md5Stream => h instanceof Md5Stream;

let scheduled = false;
const schedule = (): void => {
  if (scheduled) return;
  scheduled = true;
  setImmediate(pump);
};
/** Set while a round waits for more hashes' bytes (Md5Lanes.worthWaiting); it runs when this fires. */
let waiting: NodeJS.Timeout | undefined;
const LANE_WAIT_MS = 10;
function pump(): void {
  scheduled = false;
  if (lanes!.worthWaiting) {
    waiting ??= setTimeout(() => {
      waiting = undefined;
      round();
    }, LANE_WAIT_MS);
    return;
  }
  clearTimeout(waiting);
  waiting = undefined;
  round();
}
function round(): void {
  try {
    if (lanes!.step()) schedule();
  } catch (e) {
    // Not expected (the kernels are pure computation); fail every lane hash rather than leave one hanging.
    for (const [id, h] of hashes) {
      if (!isLane(h)) continue;
      hashes.delete(id);
      lanes!.discard(h);
      reply({ id, op: 'error', message: String((e as Error)?.message ?? e) });
    }
  }
}

port.on('message', (m: HashRequest) => {
  try {
    if (m.op === 'create') {
      hashes.set(m.id, m.algorithm === 'md5' && lanes ? lanes.open() : createHash(m.algorithm));
    } else if (m.op === 'update') {
      const h = hashes.get(m.id);
      if (isLane(h)) {
        lanes!.update(h, new Uint8Array(m.slab, 0, m.n), () => ack(m.id, m.n, m.slab));
        schedule();
      } else {
        // A hash dropped meanwhile has no entry: its slab still goes back, to the pool.
        h?.update(new Uint8Array(m.slab, 0, m.n));
        ack(m.id, m.n, m.slab);
      }
    } else if (m.op === 'digest') {
      const h = hashes.get(m.id)!;
      if (isLane(h)) {
        lanes!.digest(h, (hex) => {
          hashes.delete(m.id);
          reply({ id: m.id, op: 'digest', hex });
        });
        schedule();
      } else {
        hashes.delete(m.id);
        reply({ id: m.id, op: 'digest', hex: h.digest('hex') });
      }
    } else if (m.op === 'hurry') {
      const h = hashes.get(m.id);
      if (isLane(h)) {
        lanes!.hurry(h);
        schedule();
      }
    } else if (m.op === 'drop') {
      const h = hashes.get(m.id);
      hashes.delete(m.id);
      if (isLane(h)) lanes!.discard(h);
    }
  } catch (e) {
    const h = hashes.get(m.id);
    hashes.delete(m.id);
    if (isLane(h)) lanes!.discard(h);
    // A slab refused before anyone took it (e.g. an update after the digest) still goes back to the pool.
    if (m.op === 'update' && m.slab.byteLength > 0) ack(m.id, m.n, m.slab);
    reply({ id: m.id, op: 'error', message: String((e as Error)?.message ?? e) });
  }
});
