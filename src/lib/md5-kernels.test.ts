import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { instantiateMd5Kernels, STATE_BYTES } from './md5-kernels.js';

const INITIAL = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

/** The message with MD5's padding (RFC 1321 §3.1-3.2), ready for the kernels. */
function padded(b: Buffer): Buffer {
  const out = Buffer.alloc(Math.ceil((b.length + 9) / 64) * 64);
  b.copy(out);
  out[b.length] = 0x80;
  out.writeUInt32LE((b.length * 8) % 2 ** 32, out.length - 8);
  out.writeUInt32LE(Math.floor((b.length * 8) / 2 ** 32), out.length - 4);
  return out;
}

test('md5x4 hashes four different messages in its four lanes, md5x1 one, both as node:crypto does', () => {
  const LANE = 1024 * 1024 + 128;
  const k = instantiateMd5Kernels(STATE_BYTES + 4 * LANE);
  const mem = Buffer.from(k.memory.buffer);
  // equal block counts per lane (the kernel's contract), different bytes and lengths within the last block
  for (const sizes of [[0, 1, 55, 40], [56, 63, 64, 100], [1024 * 1024 - 9, 1024 * 1024 - 20, 1024 * 1024 - 64, 1024 * 1024 - 60]]) {
    const bodies = sizes.map((n) => randomBytes(n));
    const blocks = bodies.map((b) => padded(b));
    const n = blocks[0]!.length / 64;
    assert.ok(blocks.every((p) => p.length / 64 === n), 'test data: same number of blocks per lane');
    blocks.forEach((p, l) => p.copy(mem, STATE_BYTES + l * LANE));
    for (let w = 0; w < 4; w++) for (let l = 0; l < 4; l++) mem.writeUInt32LE(INITIAL[w]!, 16 * w + 4 * l);
    k.md5x4(STATE_BYTES, STATE_BYTES + LANE, STATE_BYTES + 2 * LANE, STATE_BYTES + 3 * LANE, n);
    bodies.forEach((b, l) => {
      const digest = Buffer.alloc(16);
      for (let w = 0; w < 4; w++) digest.writeUInt32LE(mem.readUInt32LE(16 * w + 4 * l), 4 * w);
      assert.equal(digest.toString('hex'), createHash('md5').update(b).digest('hex'), `md5x4 lane ${l}, ${b.length} bytes`);
    });
    bodies.forEach((b, l) => {
      INITIAL.forEach((v, w) => mem.writeUInt32LE(v, 4 * w));
      k.md5x1(STATE_BYTES + l * LANE, n);
      assert.equal(mem.subarray(0, 16).toString('hex'), createHash('md5').update(b).digest('hex'), `md5x1, ${b.length} bytes`);
    });
  }
});
