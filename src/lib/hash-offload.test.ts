import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { HashOffload, slabStats } from './hash-offload.js';

test('digests equal node:crypto for any chunking, interleaved hashes kept apart', async () => {
  const pool = new HashOffload(2);
  try {
    const bodies = [0, 1, 1000, 1024 * 1024 - 1, 1024 * 1024, 3 * 1024 * 1024 + 17, 20 * 1024 * 1024].map((n) => randomBytes(n));
    const hashes = bodies.map(() => pool.create('md5'));
    // Feed all of them at once, in chunks of varying size, honouring backpressure.
    await Promise.all(
      bodies.map(async (b, i) => {
        let o = 0;
        let step = 1;
        while (o < b.length) {
          const n = Math.min(step, b.length - o);
          const wait = hashes[i]!.update(b.subarray(o, o + n));
          if (wait) await wait;
          o += n;
          step = (step * 7 + 13) % 300_000;
        }
      }),
    );
    const got = await Promise.all(hashes.map((h) => h.digest()));
    got.forEach((hex, i) => assert.equal(hex, createHash('md5').update(bodies[i]!).digest('hex'), `body ${i} (${bodies[i]!.length} bytes)`));
    const sha = pool.create('sha256');
    sha.update(bodies[3]!);
    assert.equal(await sha.digest(), createHash('sha256').update(bodies[3]!).digest('hex'));
  } finally {
    await pool.close();
  }
});

test('a writer faster than the worker is held back: at most a few MiB in flight', async () => {
  const pool = new HashOffload(1);
  try {
    const h = pool.create('md5');
    const chunk = randomBytes(256 * 1024);
    const whole = createHash('md5');
    let waits = 0;
    for (let i = 0; i < 400; i++) {
      whole.update(chunk);
      const w = h.update(chunk);
      if (w) {
        waits++;
        await w;
      }
    }
    assert.ok(waits > 0, 'backpressure applied');
    assert.equal(await h.digest(), whole.digest('hex'));
  } finally {
    await pool.close();
  }
});

test('a dead worker fails its hashes instead of hanging them, and the pool starts a new one', async () => {
  const pool = new HashOffload(1);
  try {
    const h = pool.create('md5');
    // ~60 ms of hashing queued (not awaiting backpressure), so the worker is surely still busy.
    const mib = randomBytes(1024 * 1024);
    for (let i = 0; i < 32; i++) h.update(mib)?.catch(() => {});
    const digest = h.digest();
    await pool.close(); // terminates the worker under the running hash
    await assert.rejects(digest, /hash worker/);
    const again = pool.create('md5');
    again.update(Buffer.from('abc'));
    assert.equal(await again.digest(), createHash('md5').update('abc').digest('hex'));
  } finally {
    await pool.close();
  }
});

test('slabs come back from the worker and are reused: hashing allocates no memory per MiB', async () => {
  const pool = new HashOffload(1);
  try {
    const chunk = randomBytes(64 * 1024);
    const before = slabStats().allocated;
    for (let round = 0; round < 2; round++) {
      const h = pool.create('md5');
      const whole = createHash('md5');
      for (let i = 0; i < 16 * 16; i++) {
        whole.update(chunk);
        const w = h.update(chunk);
        if (w) await w;
      }
      assert.equal(await h.digest(), whole.digest('hex'));
    }
    // 32 MiB hashed in 1 MiB slabs; with at most 8 MiB in flight ten slabs serve them all (32 without reuse).
    const used = slabStats().allocated - before;
    assert.ok(used <= 10, `${used} slabs allocated for 32 MiB`);
    assert.ok(slabStats().pooled >= 1, 'returned slabs are pooled');
  } finally {
    await pool.close();
  }
});

test('in-flight bytes per hash: up to 8 MiB for a hash alone, a shared 16 MiB among concurrent ones', async () => {
  const pool = new HashOffload(1);
  const MiB = 1024 * 1024;
  const chunk = randomBytes(MiB);
  // Fed synchronously the worker cannot acknowledge anything yet: count what is taken before the first wait.
  const acceptedBeforeWait = (h: ReturnType<HashOffload['create']>): number => {
    let fed = 0;
    for (;;) {
      const w = h.update(chunk);
      fed += MiB;
      if (w) return fed;
      if (fed > 64 * MiB) throw new Error('no backpressure');
    }
  };
  try {
    assert.equal(pool.pendingLimit(), 8 * MiB);
    const alone = pool.create('md5');
    assert.equal(acceptedBeforeWait(alone), 9 * MiB);
    const others = [pool.create('md5'), pool.create('md5'), pool.create('md5')];
    assert.equal(pool.pendingLimit(), 4 * MiB);
    assert.equal(acceptedBeforeWait(others[0]!), 5 * MiB);
    for (const h of [alone, ...others]) h.drop();
    assert.equal(pool.pendingLimit(), 8 * MiB, 'dropped hashes no longer count');
    const many = Array.from({ length: 12 }, () => pool.create('md5'));
    assert.equal(pool.pendingLimit(), 2 * MiB, 'never below 2 MiB each');
    await Promise.all(many.map((h) => h.digest()));
    assert.equal(pool.pendingLimit(), 8 * MiB, 'digested hashes no longer count');
  } finally {
    await pool.close();
  }
});

test('a hash is not held up by an idle one that might share its lanes, nor by a digest of nothing', async () => {
  const pool = new HashOffload(1);
  const MiB = 1024 * 1024;
  try {
    const idle = pool.create('md5'); // open, never fed: the worker may wait for it a moment, never for ever
    const busy = pool.create('md5');
    const whole = createHash('md5');
    const chunk = randomBytes(MiB + 7); // odd size: slabs and lanes out of step
    for (let i = 0; i < 24; i++) {
      whole.update(chunk);
      const w = busy.update(chunk);
      if (w) await w;
    }
    assert.equal(await busy.digest(), whole.digest('hex'));
    assert.equal(await idle.digest(), createHash('md5').digest('hex'));
    // One slab and then silence, while another hash is open: the worker waits a moment for that one to fill
    // a second lane, then hashes alone; the slab comes back without a digest or more bytes forcing it.
    const other = pool.create('md5');
    const one = pool.create('md5');
    const pooled = slabStats().pooled;
    assert.ok(pooled > 0, 'the slabs of the hashes above are pooled');
    one.update(randomBytes(MiB)); // exactly a slab: posted at once
    assert.equal(slabStats().pooled, Math.max(0, pooled - 1));
    const deadline = Date.now() + 2000;
    while (slabStats().pooled < pooled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(slabStats().pooled >= pooled, 'the slab came back');
    one.drop();
    other.drop();
  } finally {
    await pool.close();
  }
});
