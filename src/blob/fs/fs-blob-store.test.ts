/**
 * FsBlobStore: the shared BlobStore contract on a temporary directory, plus what only a filesystem
 * store has: the on-disk layout, descriptor hygiene on failure, and sweeping of crash leftovers in tmp/.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { blobStoreContract } from '../contract.js';
import { FsBlobStore } from './fs-blob-store.js';

const base = await mkdtemp(join(tmpdir(), 'granary-fs-blob-'));
after(() => rm(base, { recursive: true, force: true }));
let n = 0;
const freshRoot = (): string => join(base, `store-${++n}`, 'blobs');

blobStoreContract('FsBlobStore', () => FsBlobStore.open(freshRoot()));

async function* once(buf: Buffer): AsyncGenerator<Buffer> {
  yield buf;
}

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

/** Descriptor closes finish asynchronously (after a stream's error/close events): wait up to `ms` for them. */
async function settledFds(expected: number, ms = 2000): Promise<number> {
  let n = await openFds();
  for (let i = 0; i < ms / 50 && n !== expected; i++) {
    await new Promise((r) => setTimeout(r, 50));
    n = await openFds();
  }
  return n;
}

describe('FsBlobStore', () => {
  it('stores blobs at <root>/<aa>/<bb>/<blobId> and keeps tmp/ empty after a write', async () => {
    const root = freshRoot();
    const store = await FsBlobStore.open(root);
    const { blobId } = await store.write(once(Buffer.from('layout')));
    const st = await stat(join(root, blobId.slice(0, 2), blobId.slice(2, 4), blobId));
    assert.equal(st.size, 6);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
  });

  it('rejects ids that are not its own (no path traversal)', async () => {
    const store = await FsBlobStore.open(freshRoot());
    assert.throws(() => store.read('../../etc/passwd'), RangeError);
    await assert.rejects(store.delete('../x'), RangeError);
  });

  it('leaks no file descriptor on any failure path', { skip: process.platform !== 'linux' }, async () => {
    const store = await FsBlobStore.open(freshRoot());
    // Warm up lazily-opened things (libuv threads, fan-out dirs) so they don't count as leaks.
    await store.write(once(Buffer.from('warm')));
    const before = await openFds();
    for (let i = 0; i < 60; i++) {
      const kind = i % 3;
      if (kind === 0) {
        await assert.rejects(
          store.write(once(randomBytes(4096)), {
            beforeCommit: () => {
              throw new Error('nope');
            },
          }),
        );
      } else if (kind === 1) {
        async function* failing(): AsyncGenerator<Buffer> {
          yield randomBytes(8192);
          throw new Error('gone');
        }
        await assert.rejects(store.write(failing()));
      } else {
        const src = new PassThrough();
        const done = store.write(src);
        src.write(randomBytes(8192));
        setImmediate(() => src.destroy());
        await assert.rejects(done);
      }
    }
    // Failed reads of a missing blob must not leak either.
    for (let i = 0; i < 20; i++) {
      const r = store.read('0123456789abcdef0123456789abcdef');
      await assert.rejects(async () => {
        for await (const _ of r) void _;
      });
    }
    assert.equal(await settledFds(before), before);
    assert.equal(await store.sweepTemporary(0), 0);
  });

  it('destroyed range reads share one descriptor, closed when the store closes', { skip: process.platform !== 'linux' }, async () => {
    const store = await FsBlobStore.open(freshRoot());
    const { blobId } = await store.write(once(randomBytes(4 * 1024 * 1024)));
    const before = await openFds();
    for (let i = 0; i < 20; i++) {
      const r = store.read(blobId, { start: 10, end: 3 * 1024 * 1024 });
      await new Promise<void>((resolve) => {
        r.once('data', () => {
          r.destroy();
          r.once('close', resolve);
        });
      });
    }
    assert.ok((await openFds()) <= before + 1, 'one kept descriptor at most, not one per read');
    await store.close();
    assert.equal(await settledFds(before), before);
  });

  it('concurrent reads of one blob share a descriptor and return the right bytes', { skip: process.platform !== 'linux' }, async () => {
    const store = await FsBlobStore.open(freshRoot());
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const { blobId } = await store.write(once(data));
    const before = await openFds();
    const ranges = Array.from({ length: 12 }, (_, i) => ({ start: i * 150_000, end: i * 150_000 + 1_400_000 }));
    const fdsDuring: number[] = [];
    const bodies = await Promise.all(
      ranges.map(async (r) => {
        const chunks: Buffer[] = [];
        for await (const c of store.read(blobId, r)) {
          chunks.push(Buffer.from(c as Buffer)); // copy: full-size chunks are pooled buffers
          // counted synchronously: concurrent async readdirs would each add their own directory descriptor
          fdsDuring.push(readdirSync('/proc/self/fd').length);
        }
        return Buffer.concat(chunks);
      }),
    );
    ranges.forEach((r, i) => assert.ok(bodies[i]!.equals(data.subarray(r.start, r.end + 1)), `range ${i}`));
    assert.ok(Math.max(...fdsDuring) <= before + 1, `descriptors during the reads: ${Math.max(...fdsDuring)} (before ${before})`);
    await store.close();
  });

  it('a blob deleted during a read: the read finishes, then its descriptor is closed', { skip: process.platform !== 'linux' }, async () => {
    const store = await FsBlobStore.open(freshRoot());
    const data = randomBytes(4 * 1024 * 1024);
    const { blobId } = await store.write(once(data));
    const before = await openFds();
    const r = store.read(blobId, { start: 0, end: data.length - 1 });
    const chunks: Buffer[] = [];
    let deleted = false;
    for await (const c of r) {
      chunks.push(Buffer.from(c as Buffer));
      if (!deleted) {
        await store.delete(blobId);
        deleted = true;
      }
    }
    assert.ok(Buffer.concat(chunks).equals(data), 'the reader that had the file open gets every byte');
    // well under the 2 s idle time: closed because the blob was deleted, not because it went idle
    assert.equal(await settledFds(before, 500), before, 'closed once the last reader let go, without waiting for idle');
    await assert.rejects(async () => {
      for await (const _ of store.read(blobId)) void _;
    }, { code: 'ENOENT' });
  });

  it('sweeps a temporary file left by a "crash" once it is old enough, and only then', async () => {
    const root = freshRoot();
    const store = await FsBlobStore.open(root);
    const { blobId } = await store.write(once(Buffer.from('committed')));
    const crashed = join(root, 'tmp', `${'ab'.repeat(16)}.deadbeef`);
    await writeFile(crashed, randomBytes(1000));
    const fresh = join(root, 'tmp', `${'cd'.repeat(16)}.cafebabe`);
    await writeFile(fresh, 'in flight');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(crashed, twoHoursAgo, twoHoursAgo);

    assert.equal(await store.sweepTemporary(3600_000), 1);
    assert.deepEqual(await readdir(join(root, 'tmp')), [`${'cd'.repeat(16)}.cafebabe`]);
    assert.equal(await store.sweepTemporary(0), 1);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    // Committed blobs are never touched by the temporary sweep.
    const listed: string[] = [];
    for await (const b of store.list()) listed.push(b.blobId);
    assert.deepEqual(listed, [blobId]);
  });

  it('list() ignores foreign files and directories', async () => {
    const root = freshRoot();
    const store = await FsBlobStore.open(root);
    const { blobId } = await store.write(once(Buffer.from('x')));
    await writeFile(join(root, 'README'), 'not a blob');
    await writeFile(join(root, blobId.slice(0, 2), blobId.slice(2, 4), 'stray.txt'), 'not a blob');
    const listed: string[] = [];
    for await (const b of store.list()) listed.push(b.blobId);
    assert.deepEqual(listed, [blobId]);
  });

  it('re-opening an existing root sees the blobs written before', async () => {
    const root = freshRoot();
    const a = await FsBlobStore.open(root);
    const { blobId } = await a.write(once(Buffer.from('persist')));
    await a.close();
    await assert.rejects(a.write(once(Buffer.from('late'))), /closed/);
    const b = await FsBlobStore.open(root);
    const listed: string[] = [];
    for await (const info of b.list()) listed.push(info.blobId);
    assert.deepEqual(listed, [blobId]);
  });
});
