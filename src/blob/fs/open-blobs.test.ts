/** OpenBlobs (shared, idle-closed read descriptors) and BlobReader's pooled buffers. */
import assert from 'node:assert/strict';
import { fstatSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BufferPool } from '../../lib/buffer-pool.js';
import { BlobReader } from './blob-reader.js';
import { OpenBlobs } from './open-blobs.js';

const dir = await mkdtemp(join(tmpdir(), 'granary-open-blobs-'));
after(() => rm(dir, { recursive: true, force: true }));

const isOpen = (fd: number): boolean => {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('OpenBlobs', () => {
  it('shares one descriptor between holders and closes it once idle', async () => {
    const path = join(dir, 'a');
    await writeFile(path, 'abc');
    const files = new OpenBlobs(100);
    const [x, y] = await Promise.all([files.acquire(path), files.acquire(path)]);
    assert.equal(x.fd, y.fd);
    x.release();
    x.release(); // a second release is ignored, not a second decrement
    await sleep(300);
    assert.ok(isOpen(y.fd), 'still held by y');
    y.release();
    await sleep(400);
    assert.equal(files.size, 0);
    assert.ok(!isOpen(y.fd), 'closed after being idle');
    files.close();
  });

  it('forget() closes an unheld descriptor at once and a held one at its release; a missing file rejects with ENOENT', async () => {
    const path = join(dir, 'b');
    await writeFile(path, 'abc');
    const files = new OpenBlobs(60_000);
    const h = await files.acquire(path);
    files.forget(path);
    assert.ok(isOpen(h.fd));
    const again = await files.acquire(path); // a fresh descriptor, not the doomed one
    assert.notEqual(again.fd, h.fd);
    h.release();
    await sleep(50);
    assert.ok(!isOpen(h.fd));
    again.release();
    files.close();
    await sleep(50);
    assert.ok(!isOpen(again.fd), 'close() closes unheld descriptors');
    await assert.rejects(files.acquire(join(dir, 'missing')), { code: 'ENOENT' });
    assert.equal(files.size, 0, 'a failed open is not kept');
  });
});

describe('BlobReader', () => {
  it('reads [start, end] in pool-sized chunks and gives its buffers back on recycle()', async () => {
    const path = join(dir, 'c');
    const data = Buffer.alloc(10_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    await writeFile(path, data);
    const files = new OpenBlobs();
    const pool = new BufferPool(4096, 4);
    const r = new BlobReader(files, path, 100, 9_099, pool);
    const chunks: Buffer[] = [];
    for await (const c of r) chunks.push(c as Buffer);
    assert.deepEqual(chunks.map((c) => c.length), [4096, 4096, 808]);
    assert.ok(Buffer.concat(chunks).equals(data.subarray(100, 9_100)));
    r.recycle();
    const reused = [pool.take(), pool.take()];
    assert.ok(reused.includes(chunks[0]!) && reused.includes(chunks[1]!), 'the full-size chunks are the pool\'s buffers');
    files.close();
  });

  it('a long read holds at most two pooled buffers: memory does not grow with the length read', async () => {
    const path = join(dir, 'e');
    await writeFile(path, Buffer.alloc(10 * 4096, 1));
    const files = new OpenBlobs();
    const pool = new BufferPool(4096, 8);
    const r = new BlobReader(files, path, 0, 10 * 4096 - 1, pool);
    const chunks: Buffer[] = [];
    for await (const c of r) chunks.push(c as Buffer);
    assert.equal(chunks.length, 10);
    r.recycle();
    const back = new Set([pool.take(), pool.take(), pool.take()]);
    assert.equal(chunks.filter((c) => back.has(c)).length, 2, 'two chunks were lent, the rest were fresh buffers');
    files.close();
  });

  it('errors instead of returning short data when the file is shorter than the range', async () => {
    const path = join(dir, 'd');
    await writeFile(path, Buffer.alloc(1000));
    const files = new OpenBlobs();
    const r = new BlobReader(files, path, 0, 1999, new BufferPool(4096, 1));
    await assert.rejects(async () => {
      for await (const _ of r) void _;
    }, { code: 'ERR_BLOB_TRUNCATED' });
    files.close();
  });
});
