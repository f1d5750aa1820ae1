/**
 * Many running MD5 hashes, computed together: each round takes up to four hashes that have whole 64-byte
 * blocks waiting, copies the same number of blocks of each into the kernels' memory and compresses them in
 * one pass of md5x4 (one SIMD lane per hash), or md5x1 when only one hash has work. See md5-kernels.ts for
 * why. Used by the hashing worker (hash-worker.ts); synchronous and self-contained, so tests drive it directly.
 *
 * A hash that is alone when its first round comes, with no other hash open (a single upload), is handed to
 * node:crypto's MD5 instead and stays there: one lane of md5x1 plus the copy into the kernels' memory costs
 * ~3 % more than OpenSSL reading the chunk where it is, and a hash's state cannot move from OpenSSL to the
 * lanes later. A hash that has been in a round stays in the lanes, using md5x1 when it is alone again.
 *
 * Input arrives as chunks the owner must not touch until `release` is called: the bytes are copied into the
 * kernels' memory at the round that hashes them (or hashed in place by OpenSSL), and a chunk is released as
 * soon as all of it is used.
 */
import { createHash, type Hash } from 'node:crypto';
import { instantiateMd5Kernels, STATE_BYTES, type Md5Kernels } from './md5-kernels.js';

const BLOCK = 64;
/**
 * Bytes of one hash compressed per round at most. The worker reads its messages between rounds, so a hash
 * whose slab arrives during a long one joins the next; 256 KiB rounds (against 1 MiB) also keep the kernels'
 * memory at 1 MiB. Lanes used per round in a 1 GiB multipart upload: ~2.7 on average either way.
 */
const ROUND_BYTES = 256 * 1024;
/** One lane's input area: a round's bytes, or the final one or two padded blocks. */
const LANE_BYTES = ROUND_BYTES;
const LANES = 4;
/**
 * A hash whose owner waits for its chunks to come back (`hurry`) gets rounds without waiting for others to
 * fill the lanes until it holds no more than this. hash-offload.ts lets a writer go on once at most half its
 * in-flight limit (2-8 MiB) is held here, so the writer is surely going again by then.
 */
const HURRY_UNTIL_BYTES = 1024 * 1024;
const INITIAL_STATE = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

interface Chunk {
  bytes: Uint8Array;
  /** Bytes of it already copied for hashing. */
  used: number;
  release: () => void;
}

/** One running hash; the fields are Md5Lanes's bookkeeping, readable by tests. */
export class Md5Stream {
  readonly state = INITIAL_STATE.slice();
  /** Bytes compressed in the kernels so far (a hash on node:crypto counts none). */
  hashed = 0;
  /** Fewer than 64 bytes that did not make a whole block, kept here so their chunk could be released. */
  readonly tail = new Uint8Array(BLOCK);
  tailLength = 0;
  readonly queue: Chunk[] = [];
  /** Bytes in `queue` not yet used. */
  queued = 0;
  /** Bytes of the chunks in `queue`, used or not: what the owner is waiting to get back. */
  held = 0;
  /** Its owner is waiting for chunks to come back (see HURRY_UNTIL_BYTES). */
  hurried = false;
  onDigest: ((hex: string) => void) | undefined;
  /** Set when the hash was alone at its first round: node:crypto hashes it (see the top of the file). */
  alone: Hash | undefined;

  get blocks(): number {
    return Math.floor((this.tailLength + this.queued) / BLOCK);
  }

  /** Whether it has been compressed in the kernels (and so must stay there): only lane rounds count `hashed`. */
  get inLanes(): boolean {
    return this.hashed > 0;
  }

  /** Whether a round would have something of this hash to hash. */
  get hasWork(): boolean {
    return this.alone ? this.queue.length > 0 : this.blocks > 0;
  }
}

export class Md5Lanes {
  readonly #k: Md5Kernels;
  readonly #mem: Uint8Array;
  readonly #view: DataView;
  /** Hashes in progress, in the order they get served (moved to the back after each round they take part in). */
  readonly #streams = new Set<Md5Stream>();
  /** Rounds run so far, by the number of lanes used (index 1-4): for tests and diagnostics. */
  readonly roundsByLanes = [0, 0, 0, 0, 0];

  /** Throws where WebAssembly SIMD is not available; the caller then hashes with node:crypto. */
  constructor() {
    this.#k = instantiateMd5Kernels(STATE_BYTES + LANES * LANE_BYTES);
    this.#mem = new Uint8Array(this.#k.memory.buffer);
    this.#view = new DataView(this.#k.memory.buffer);
  }

  open(): Md5Stream {
    const s = new Md5Stream();
    this.#streams.add(s);
    return s;
  }

  /** Queues bytes; `release` is called once they have been used (at once for an empty chunk or a few bytes). */
  update(s: Md5Stream, bytes: Uint8Array, release: () => void): void {
    if (s.onDigest) throw new Error('update after digest');
    if (bytes.length === 0) {
      release();
      return;
    }
    s.queue.push({ bytes, used: 0, release });
    s.queued += bytes.length;
    s.held += bytes.length;
    this.#keepSmallRest(s);
  }

  /** The owner waits for chunks to come back: no waiting for lanes while this hash holds much. */
  hurry(s: Md5Stream): void {
    s.hurried = s.held > HURRY_UNTIL_BYTES;
  }

  /** Asks for the digest: `onDigest` is called from a later `step()`, once every queued byte is hashed. */
  digest(s: Md5Stream, onDigest: (hex: string) => void): void {
    s.onDigest = onDigest;
  }

  /** Abandons a hash; chunks still queued are released. */
  discard(s: Md5Stream): void {
    this.#streams.delete(s);
    while (s.queue.length > 0) this.#releaseFirst(s);
    s.queued = 0;
  }

  /** Whether `step()` has anything to do. */
  get busy(): boolean {
    for (const s of this.#streams) if (s.onDigest || s.hasWork) return true;
    return false;
  }

  /**
   * Whether a round now would run with lanes empty that hashes in progress will soon fill: some but not all
   * of them have blocks waiting, no owner is waiting for its chunks (`hurry`) and no digest is asked for. The
   * worker then gives the others a moment (a round with one lane costs its core as much as one with four);
   * hashes whose owners stall are not waited for long (hash-worker.ts runs the round after LANE_WAIT_MS).
   */
  get worthWaiting(): boolean {
    let open = 0;
    let ready = 0;
    for (const s of this.#streams) {
      if (s.onDigest || s.hurried) return false;
      if (s.alone) {
        if (s.hasWork) return false;
        continue;
      }
      open++;
      if (s.blocks > 0) ready++;
    }
    return ready > 0 && ready < Math.min(LANES, open);
  }

  /** Does one round of work (a digest, one chunk of a hash on node:crypto, or one compression pass). Returns `busy`. */
  step(): boolean {
    for (const s of this.#streams) {
      if (s.onDigest && !s.hasWork) {
        this.#finish(s);
        return this.busy;
      }
    }
    // One rotation over every hash, whichever way it is hashed, so neither kind can starve the other.
    let first: Md5Stream | undefined;
    for (const s of this.#streams) {
      if (s.hasWork) {
        first = s;
        break;
      }
    }
    if (!first) return false;
    if (first.alone) {
      const c = first.queue[0]!;
      first.alone.update(c.bytes.subarray(c.used));
      first.queued -= c.bytes.length - c.used;
      this.#releaseFirst(first);
      this.#toBack(first);
      return this.busy;
    }
    const lanes = [first];
    for (const s of this.#streams) {
      if (lanes.length === LANES) break;
      if (s !== first && !s.alone && s.blocks > 0) lanes.push(s);
    }
    // Alone and nothing else open that could share its rounds: a single upload, for node:crypto.
    if (lanes.length === 1 && !first.inLanes && !this.#othersOpen(first)) {
      first.alone = createHash('md5');
      first.alone.update(first.tail.subarray(0, first.tailLength));
      first.tailLength = 0;
      return this.busy;
    }
    // Every lane compresses the same number of blocks; a lane with less waiting limits the round (it is then
    // usually a hash's last bytes, and the next round goes on without it).
    let blocks = ROUND_BYTES / BLOCK;
    for (const s of lanes) blocks = Math.min(blocks, s.blocks);
    const at = lanes.map((s, i) => {
      const p = STATE_BYTES + i * LANE_BYTES;
      this.#gather(s, p, blocks * BLOCK);
      return p;
    });
    if (lanes.length === 1) {
      this.#putState(first, false, 0);
      this.#k.md5x1(at[0]!, blocks);
      this.#getState(first, false, 0);
    } else {
      lanes.forEach((s, i) => this.#putState(s, true, i));
      // Unused lanes hash lane 0's bytes again; their results are never read.
      this.#k.md5x4(at[0]!, at[1] ?? at[0]!, at[2] ?? at[0]!, at[3] ?? at[0]!, blocks);
      lanes.forEach((s, i) => this.#getState(s, true, i));
    }
    this.roundsByLanes[lanes.length]!++;
    for (const s of lanes) {
      s.hashed += blocks * BLOCK;
      this.#toBack(s);
      this.#keepSmallRest(s);
    }
    return this.busy;
  }

  #othersOpen(s: Md5Stream): boolean {
    for (const o of this.#streams) if (o !== s && !o.alone) return true;
    return false;
  }

  #toBack(s: Md5Stream): void {
    this.#streams.delete(s);
    this.#streams.add(s);
  }

  #releaseFirst(s: Md5Stream): void {
    const c = s.queue.shift()!;
    s.held -= c.bytes.length;
    if (s.held <= HURRY_UNTIL_BYTES) s.hurried = false;
    c.release();
  }

  /** Copies the tail and then queued bytes, `n` in all, to `p`, releasing every chunk used up. */
  #gather(s: Md5Stream, p: number, n: number): void {
    this.#mem.set(s.tail.subarray(0, s.tailLength), p);
    let filled = s.tailLength;
    s.tailLength = 0;
    while (filled < n) {
      const c = s.queue[0]!;
      const take = Math.min(c.bytes.length - c.used, n - filled);
      this.#mem.set(c.bytes.subarray(c.used, c.used + take), p + filled);
      c.used += take;
      filled += take;
      s.queued -= take;
      if (c.used === c.bytes.length) this.#releaseFirst(s);
    }
  }

  /** Less than a block left in queued chunks: move it to the tail and let the chunks go. */
  #keepSmallRest(s: Md5Stream): void {
    if (s.alone || s.queued === 0 || s.tailLength + s.queued >= BLOCK) return;
    while (s.queue.length > 0) {
      const c = s.queue[0]!;
      s.tail.set(c.bytes.subarray(c.used), s.tailLength);
      s.tailLength += c.bytes.length - c.used;
      this.#releaseFirst(s);
    }
    s.queued = 0;
  }

  /** Pads the tail (RFC 1321 §3.1-3.2), compresses the last one or two blocks and reports the digest. */
  #finish(s: Md5Stream): void {
    this.#streams.delete(s);
    if (s.alone) {
      s.onDigest!(s.alone.digest('hex'));
      return;
    }
    const p = STATE_BYTES;
    const length = s.hashed + s.tailLength;
    const padded = s.tailLength < BLOCK - 8 ? BLOCK : 2 * BLOCK;
    this.#mem.fill(0, p, p + padded);
    this.#mem.set(s.tail.subarray(0, s.tailLength), p);
    this.#mem[p + s.tailLength] = 0x80;
    const bits = length * 8; // exact: bodies are far below 2^50 bytes
    this.#view.setUint32(p + padded - 8, bits % 2 ** 32, true);
    this.#view.setUint32(p + padded - 4, Math.floor(bits / 2 ** 32), true);
    this.#putState(s, false, 0);
    this.#k.md5x1(p, padded / BLOCK);
    this.#getState(s, false, 0);
    const out = Buffer.alloc(16);
    s.state.forEach((w, i) => out.writeUInt32LE(w, 4 * i));
    s.onDigest!(out.toString('hex'));
  }

  #putState(s: Md5Stream, x4: boolean, lane: number): void {
    s.state.forEach((w, i) => this.#view.setUint32(stateOffset(x4, lane, i), w, true));
  }

  #getState(s: Md5Stream, x4: boolean, lane: number): void {
    for (let i = 0; i < 4; i++) s.state[i] = this.#view.getUint32(stateOffset(x4, lane, i), true);
  }
}

/** Where word w of a hash's state goes: md5x1 keeps its four words at bytes 0..15, md5x4 lane l's at 16w + 4l. */
const stateOffset = (x4: boolean, lane: number, w: number): number => (x4 ? 16 * w + 4 * lane : 4 * w);
