import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Md5Lanes } from './md5-lanes.js';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/** A deterministic pseudo-random sequence, so a failure can be rerun. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * Feeds `bodies` to one engine in random chunk sizes, interleaving updates, rounds and digest requests the way
 * the worker does, and returns the digests and how often each chunk was released.
 */
function hashAll(bodies: Buffer[], seed: number, maxChunk: number): { digests: string[]; releases: number[]; rounds: number[] } {
  const rnd = prng(seed);
  const lanes = new Md5Lanes();
  const streams = bodies.map(() => lanes.open());
  const fed = bodies.map(() => 0);
  const digests: string[] = bodies.map(() => '');
  const releases: number[] = [];
  const asked = bodies.map(() => false);
  while (asked.some((a) => !a) || lanes.busy) {
    const i = Math.floor(rnd() * bodies.length);
    const body = bodies[i]!;
    if (!asked[i]) {
      if (fed[i]! < body.length) {
        const n = Math.min(body.length - fed[i]!, 1 + Math.floor(rnd() * maxChunk));
        const r = releases.push(0) - 1;
        // a copy, as the worker's slabs are its own memory
        lanes.update(streams[i]!, Uint8Array.from(body.subarray(fed[i]!, fed[i]! + n)), () => releases[r]!++);
        fed[i]! += n;
      } else {
        asked[i] = true;
        lanes.digest(streams[i]!, (hex) => (digests[i] = hex));
      }
    }
    // as the worker does: no round while waiting is worth it, except now and then (its timer)
    if (rnd() < 0.5 && (!lanes.worthWaiting || rnd() < 0.05)) lanes.step();
  }
  return { digests, releases, rounds: lanes.roundsByLanes };
}

test('digests equal node:crypto at every padding boundary, alone and with others in lanes', () => {
  // lengths around the 55/56-byte padding edge and whole blocks, plus bodies spanning many rounds
  const lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096, 65_537];
  for (const n of lengths) {
    const b = randomBytes(n);
    const alone = hashAll([b], n, 97);
    assert.equal(alone.digests[0], md5(b), `${n} bytes alone`);
  }
  const bodies = lengths.map((n) => randomBytes(n));
  for (const seed of [1, 2, 3]) {
    const { digests, releases } = hashAll(bodies, seed, 5000);
    digests.forEach((hex, i) => assert.equal(hex, md5(bodies[i]!), `${bodies[i]!.length} bytes among ${bodies.length} (seed ${seed})`));
    assert.ok(releases.every((r) => r === 1), 'every chunk released exactly once');
  }
});

test('long hashes of unequal lengths share rounds: 2, 3, 4 and more than four at once', () => {
  for (const count of [2, 3, 4, 7]) {
    const bodies = Array.from({ length: count }, (_, i) => randomBytes(1024 * 1024 * (1 + (i % 3)) + i * 4099));
    const { digests, releases, rounds } = hashAll(bodies, 100 + count, 300_000);
    digests.forEach((hex, i) => assert.equal(hex, md5(bodies[i]!), `hash ${i} of ${count}`));
    assert.ok(releases.every((r) => r === 1));
    assert.ok(rounds[Math.min(count, 4)]! > 0, `rounds with ${Math.min(count, 4)} lanes ran: ${rounds}`);
  }
});

test('a discarded hash releases what it still holds and leaves the others intact', () => {
  const lanes = new Md5Lanes();
  const keep = lanes.open();
  const drop = lanes.open();
  const body = randomBytes(3 * 1024 * 1024 + 5);
  let released = 0;
  lanes.update(keep, body, () => released++);
  lanes.update(drop, randomBytes(2 * 1024 * 1024), () => released++);
  lanes.update(drop, randomBytes(100), () => released++);
  lanes.step(); // one round with both in lanes
  lanes.discard(drop);
  assert.equal(released, 2, "the dropped hash's chunks are released; the kept one's 3 MiB chunk is not used up yet");
  let hex = '';
  lanes.digest(keep, (h) => (hex = h));
  while (lanes.step());
  assert.equal(hex, md5(body));
  assert.equal(released, 3);
  assert.equal(lanes.busy, false);
});

test('an update after the digest was asked for is refused', () => {
  const lanes = new Md5Lanes();
  const s = lanes.open();
  lanes.digest(s, () => {});
  assert.throws(() => lanes.update(s, Buffer.from('late'), () => {}), /after digest/);
});

test('a hash alone at its first round but with another hash open stays in the lanes', () => {
  const lanes = new Md5Lanes();
  const a = lanes.open();
  const idle = lanes.open();
  lanes.update(a, randomBytes(64 * 10), () => {});
  lanes.step(); // as the worker's timer does: a round although `idle` might have filled a lane
  assert.ok(!a.alone && a.inLanes);
  lanes.discard(idle);
});

test('a hash alone at its first round goes to node:crypto; one that shared a round stays in the lanes', () => {
  const lanes = new Md5Lanes();
  const single = lanes.open();
  const singleBody = randomBytes(1024 * 1024 + 3);
  lanes.update(single, singleBody, () => {});
  lanes.step();
  assert.ok(single.alone, 'alone at its first round');
  const b = lanes.open();
  const c = lanes.open();
  const bBody = randomBytes(3 * 1024 * 1024 + 1);
  const cBody = randomBytes(1024 * 1024);
  lanes.update(b, bBody, () => {});
  lanes.update(c, cBody, () => {});
  const hex: Record<string, string> = {};
  lanes.digest(single, (h) => (hex.single = h));
  lanes.digest(b, (h) => (hex.b = h));
  lanes.digest(c, (h) => (hex.c = h));
  while (lanes.step());
  assert.ok(b.inLanes && c.inLanes && !b.alone && !c.alone, 'shared a round: kept in the lanes, b then alone in md5x1');
  assert.deepEqual(hex, { single: md5(singleBody), b: md5(bBody), c: md5(cBody) });
});

test('a hash on node:crypto and hashes in the lanes take turns', () => {
  const lanes = new Md5Lanes();
  const MiB = 1024 * 1024;
  const big = lanes.open();
  lanes.update(big, randomBytes(MiB), () => {});
  lanes.step();
  assert.ok(big.alone);
  for (let i = 0; i < 8; i++) lanes.update(big, randomBytes(MiB), () => {});
  const b = lanes.open();
  const c = lanes.open();
  lanes.update(b, randomBytes(MiB), () => {});
  lanes.update(c, randomBytes(MiB), () => {});
  lanes.step(); // one chunk of `big` at most
  lanes.step();
  assert.equal(lanes.roundsByLanes[2], 1, 'the lane round came within two steps, not after all 8 MiB of the other');
});

test('worth waiting only while some, not all, lane hashes have blocks and no owner waits', () => {
  const MiB = 1024 * 1024;
  const lanes = new Md5Lanes();
  const a = lanes.open();
  const b = lanes.open();
  assert.equal(lanes.worthWaiting, false, 'nothing to hash');
  lanes.update(a, randomBytes(MiB), () => {});
  assert.equal(lanes.worthWaiting, true, 'a is ready, b will be soon');
  lanes.update(b, randomBytes(100), () => {});
  assert.equal(lanes.worthWaiting, false, 'both ready');
  const c = lanes.open();
  assert.equal(lanes.worthWaiting, true, 'three open, two ready: the third may fill a lane');
  lanes.discard(b);
  assert.equal(lanes.worthWaiting, true, 'a ready, c not');
  lanes.update(a, randomBytes(MiB), () => {});
  assert.equal(lanes.worthWaiting, true, 'a holds 2 MiB, its writer is not waiting');
  lanes.hurry(a);
  assert.equal(lanes.worthWaiting, false, "a's writer waits for its chunks");
  lanes.step();
  assert.equal(lanes.worthWaiting, false, 'still more than 1 MiB held after one round');
  while (a.held > MiB) lanes.step();
  assert.equal(lanes.worthWaiting, true, 'a holds 1 MiB: its writer is surely going again');
  lanes.discard(a);
  lanes.update(c, randomBytes(64), () => {});
  const d = lanes.open();
  assert.equal(lanes.worthWaiting, true);
  lanes.digest(d, () => {});
  assert.equal(lanes.worthWaiting, false, 'a digest is asked for');
});

test('an empty update is released at once', () => {
  const lanes = new Md5Lanes();
  const s = lanes.open();
  let released = 0;
  lanes.update(s, new Uint8Array(0), () => released++);
  assert.equal(released, 1);
  let hex = '';
  lanes.digest(s, (h) => (hex = h));
  while (lanes.step());
  assert.equal(hex, md5(Buffer.alloc(0)));
});
