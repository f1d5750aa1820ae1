import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { decryptRange, encryptSegments, encryptedSize, SEGMENT_BYTES, STORED_SEGMENT_BYTES, storedRangeOf, TAG_BYTES } from './segments.js';

async function collect(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of s) out.push(c);
  return Buffer.concat(out);
}

/** Splits `data` into chunks of awkward sizes, as a socket would deliver them. */
async function* chunked(data: Buffer, size: number): AsyncIterable<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

const key = randomBytes(32);

function reader(stored: Buffer, reads: Array<[number, number]> = []) {
  return (start: number, end: number) => {
    reads.push([start, end]);
    return Readable.from([stored.subarray(start, end + 1)]);
  };
}

test('segments: every size round-trips, whatever the chunking; the stored size is the plaintext plus one tag per segment', async () => {
  for (const size of [0, 1, SEGMENT_BYTES - 1, SEGMENT_BYTES, SEGMENT_BYTES + 1, 3 * SEGMENT_BYTES, 200_000]) {
    const plain = randomBytes(size);
    for (const chunk of [1000, 65_536, 70_001]) {
      const stored = await collect(encryptSegments(chunked(plain, chunk), key, 'b/k'));
      assert.equal(stored.length, encryptedSize(size), `size ${size}`);
      if (size === 0) continue;
      const back = await collect(decryptRange(reader(stored), key, 'b/k', size, { start: 0, end: size - 1 }));
      assert.ok(back.equals(plain), `size ${size} chunk ${chunk}`);
    }
  }
});

test('segments: a range reads only the segments it touches and returns exactly its bytes', async () => {
  const size = 10 * SEGMENT_BYTES + 123;
  const plain = randomBytes(size);
  const stored = await collect(encryptSegments(chunked(plain, 65_536), key, 'id'));
  for (const [start, end] of [[0, 0], [SEGMENT_BYTES - 1, SEGMENT_BYTES], [3 * SEGMENT_BYTES + 5, 5 * SEGMENT_BYTES + 7], [size - 10, size - 1], [0, size - 1]] as const) {
    const reads: Array<[number, number]> = [];
    const got = await collect(decryptRange(reader(stored, reads), key, 'id', size, { start, end }));
    assert.ok(got.equals(plain.subarray(start, end + 1)), `range ${start}-${end}`);
    const first = Math.floor(start / SEGMENT_BYTES);
    const last = Math.floor(end / SEGMENT_BYTES);
    assert.deepEqual(reads, [[first * STORED_SEGMENT_BYTES, Math.min((last + 1) * STORED_SEGMENT_BYTES, stored.length) - 1]]);
  }
  assert.deepEqual(storedRangeOf(size, { start: size - 1, end: size - 1 }), { first: 10, start: 10 * STORED_SEGMENT_BYTES, end: stored.length - 1 });
});

test('segments: a flipped byte, swapped segments, another identity, another key or a truncated blob are read errors, never data', async () => {
  const size = 3 * SEGMENT_BYTES;
  const plain = randomBytes(size);
  const stored = await collect(encryptSegments(chunked(plain, 65_536), key, 'id'));
  const all = { start: 0, end: size - 1 };
  const fails = async (s: Buffer, k = key, id = 'id', range = all) =>
    assert.rejects(collect(decryptRange(reader(s), k, id, size, range)), { code: 'ERR_BLOB_INTEGRITY' });
  for (const at of [0, SEGMENT_BYTES + 3, stored.length - 1, SEGMENT_BYTES + TAG_BYTES - 1]) {
    const flipped = Buffer.from(stored);
    flipped[at]! ^= 0x01;
    await fails(flipped);
  }
  const swapped = Buffer.concat([stored.subarray(STORED_SEGMENT_BYTES, 2 * STORED_SEGMENT_BYTES), stored.subarray(0, STORED_SEGMENT_BYTES), stored.subarray(2 * STORED_SEGMENT_BYTES)]);
  await fails(swapped);
  await fails(stored, key, 'other');
  await fails(stored, randomBytes(32));
  await fails(stored.subarray(0, stored.length - 1));
  await fails(stored.subarray(0, 2 * STORED_SEGMENT_BYTES));
});

test('segments: the ciphertext does not contain the plaintext', async () => {
  const plain = Buffer.from('PLAINTEXT-MARKER '.repeat(10_000));
  const stored = await collect(encryptSegments(chunked(plain, 4096), key, 'id'));
  assert.equal(stored.indexOf('PLAINTEXT-MARKER'), -1);
});
