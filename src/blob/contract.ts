/**
 * The BlobStore contract: one node:test suite every implementation must pass, written against the
 * interface in store.ts only. An implementation's test file calls
 * `blobStoreContract('FsBlobStore', () => FsBlobStore.open(freshDir))`.
 *
 * `open` must return a new, empty store for every call: tests assert on `list()` and `sweepTemporary(0)`,
 * which would see (and sweep!) another test's blobs in a shared store.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { BlobStore } from './store.js';

const MiB = 1024 * 1024;

function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Yields `buf` in pieces of `chunk` bytes (views, no copies), like a network body would arrive. */
async function* chunked(buf: Buffer, chunk: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
}

async function listIds(store: BlobStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const b of store.list()) ids.push(b.blobId);
  return ids.sort();
}

async function withStore(open: () => Promise<BlobStore>, fn: (store: BlobStore) => Promise<void>): Promise<void> {
  const store = await open();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** Asserts that a failed write left nothing behind: no committed blob, no temporary file. */
async function assertEmpty(store: BlobStore): Promise<void> {
  assert.deepEqual(await listIds(store), []);
  assert.equal(await store.sweepTemporary(0), 0, 'a failed write must remove its own temporary file');
}

export function blobStoreContract(name: string, open: () => Promise<BlobStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    for (const [label, size, chunk] of [
      ['empty', 0, 1],
      ['small', 11, 11],
      ['multi-MiB, odd-sized chunks', 5 * MiB + 123, 64 * 1024 + 7],
    ] as const) {
      it(`round-trips a ${label} body`, () =>
        withStore(open, async (store) => {
          const data = randomBytes(size);
          const { blobId, size: written } = await store.write(chunked(data, chunk));
          assert.equal(written, size);
          assert.match(blobId, /^[0-9A-Za-z_-]+$/);
          const back = await readAll(store.read(blobId));
          assert.equal(back.length, size);
          assert.equal(sha256(back), sha256(data));
        }));
    }

    it('accepts a Readable source', () =>
      withStore(open, async (store) => {
        const data = randomBytes(300_000);
        const { blobId, size } = await store.write(Readable.from(chunked(data, 10_000)));
        assert.equal(size, data.length);
        assert.equal(sha256(await readAll(store.read(blobId))), sha256(data));
      }));

    it('reads inclusive byte ranges', () =>
      withStore(open, async (store) => {
        const data = randomBytes(2 * MiB + 17);
        const { blobId } = await store.write(chunked(data, MiB));
        for (const [start, end] of [
          [0, 0],
          [0, 9],
          [5, 5],
          [MiB - 3, MiB + 3],
          [data.length - 1, data.length - 1],
          [0, data.length - 1],
          [1000, data.length - 1],
        ] as const) {
          const got = await readAll(store.read(blobId, { start, end }));
          assert.equal(got.length, end - start + 1, `range ${start}-${end}`);
          assert.ok(got.equals(data.subarray(start, end + 1)), `range ${start}-${end}`);
        }
      }));

    it('reading a missing blob errors', () =>
      withStore(open, async (store) => {
        const { blobId } = await store.write(chunked(Buffer.from('gone'), 4));
        await store.delete(blobId);
        await assert.rejects(readAll(store.read(blobId)));
      }));

    it('beforeCommit runs after all bytes are written, before the blob is visible', () =>
      withStore(open, async (store) => {
        let seen: string[] | undefined;
        const { blobId } = await store.write(chunked(Buffer.from('hello'), 2), {
          beforeCommit: async () => {
            seen = await listIds(store);
          },
        });
        assert.deepEqual(seen, []);
        assert.deepEqual(await listIds(store), [blobId]);
      }));

    it('beforeCommit throwing rejects with that error and leaves nothing', () =>
      withStore(open, async (store) => {
        const boom = new Error('BadDigest');
        await assert.rejects(
          store.write(chunked(randomBytes(3 * MiB), MiB), {
            beforeCommit: () => {
              throw boom;
            },
          }),
          (err) => err === boom,
        );
        await assertEmpty(store);
      }));

    it('a source that errors mid-stream rejects and leaves nothing (async iterable)', () =>
      withStore(open, async (store) => {
        const boom = new Error('client went away');
        async function* failing(): AsyncGenerator<Buffer> {
          yield randomBytes(MiB);
          yield randomBytes(MiB);
          throw boom;
        }
        await assert.rejects(store.write(failing()), (err) => err === boom);
        await assertEmpty(store);
      }));

    it('a Readable destroyed with an error mid-stream rejects with it and leaves nothing', () =>
      withStore(open, async (store) => {
        const boom = new Error('aborted');
        const src = new PassThrough();
        const done = store.write(src);
        src.write(randomBytes(MiB));
        setTimeout(() => src.destroy(boom), 20);
        await assert.rejects(done, (err) => err === boom);
        await assertEmpty(store);
      }));

    it('a Readable destroyed without an error before ending rejects and leaves nothing', () =>
      withStore(open, async (store) => {
        const src = new PassThrough();
        const done = store.write(src);
        src.write(randomBytes(MiB));
        setTimeout(() => src.destroy(), 20);
        await assert.rejects(done);
        await assertEmpty(store);
      }));

    it('a Readable emitting "aborted" (legacy HTTP body) rejects and leaves nothing', () =>
      withStore(open, async (store) => {
        const src = new PassThrough();
        const done = store.write(src);
        src.write(randomBytes(64 * 1024));
        setTimeout(() => src.emit('aborted'), 20);
        await assert.rejects(done);
        await assertEmpty(store);
      }));

    it('delete is idempotent and removes the blob from list()', () =>
      withStore(open, async (store) => {
        const { blobId } = await store.write(chunked(Buffer.from('bye'), 3));
        await store.delete(blobId);
        await store.delete(blobId);
        assert.deepEqual(await listIds(store), []);
      }));

    it('list() finds every committed blob with a plausible mtime', () =>
      withStore(open, async (store) => {
        const before = Date.now() - 5_000;
        const ids: string[] = [];
        for (let i = 0; i < 20; i++) ids.push((await store.write(chunked(randomBytes(i), 1 + i))).blobId);
        const infos: { blobId: string; mtimeMs: number }[] = [];
        for await (const b of store.list()) infos.push(b);
        assert.deepEqual(infos.map((b) => b.blobId).sort(), [...ids].sort());
        for (const b of infos) assert.ok(b.mtimeMs >= before && b.mtimeMs <= Date.now() + 5_000);
      }));

    it('concurrent writes each get their own blob with their own bytes', () =>
      withStore(open, async (store) => {
        const bodies = Array.from({ length: 24 }, (_, i) => randomBytes(i * 37_000 + 1));
        const results = await Promise.all(bodies.map((b) => store.write(chunked(b, 16 * 1024))));
        assert.equal(new Set(results.map((r) => r.blobId)).size, bodies.length);
        for (const [i, r] of results.entries()) {
          assert.equal(r.size, bodies[i]!.length);
          assert.equal(sha256(await readAll(store.read(r.blobId))), sha256(bodies[i]!));
        }
        assert.equal((await listIds(store)).length, bodies.length);
      }));

    it('sweepTemporary leaves committed blobs alone', () =>
      withStore(open, async (store) => {
        const { blobId } = await store.write(chunked(Buffer.from('keep'), 4));
        assert.equal(await store.sweepTemporary(0), 0);
        assert.deepEqual(await listIds(store), [blobId]);
      }));
  });
}
