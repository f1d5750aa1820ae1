/**
 * BlobSweeper against the real stores (FsBlobStore + SqliteMetadataStore on temporary files): queued
 * deletions honour their delay, orphans their grace period, referenced blobs are never touched, tmp
 * leftovers go, and the timer/stop machinery behaves.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newId } from '../lib/ids.js';
import { FsBlobStore } from '../blob/fs/fs-blob-store.js';
import type { BlobStore } from '../blob/store.js';
import type { MetadataStore, NewObject } from '../metadata/store.js';
import { openSqliteMetadataStore } from '../metadata/sqlite/sqlite-store.js';
import { BlobSweeper } from './sweeper.js';

const HOUR = 3_600_000;
const base = await mkdtemp(join(tmpdir(), 'granary-sweeper-'));
after(() => rm(base, { recursive: true, force: true }));

interface World {
  root: string;
  blobs: FsBlobStore;
  metadata: MetadataStore;
  bucketId: string;
  ownerId: string;
  logs: { msg: string; fields?: object }[];
  sweeper: BlobSweeper;
}

let n = 0;
async function world(): Promise<World> {
  const dir = join(base, `w${++n}`);
  const root = join(dir, 'blobs');
  const blobs = await FsBlobStore.open(root);
  const metadata = await openSqliteMetadataStore(join(dir, 'meta.db'));
  const tenancy = await metadata.createTenancy({ name: `t${n}` });
  const user = await metadata.createUser({ username: `u${n}`, passwordHash: 'scrypt$test' });
  const created = await metadata.createBucket({ tenancyId: tenancy.id, name: 'bucket', ownerId: user.id, region: 'us-east-1' });
  const bucketId = created.created ? created.bucket.id : created.existing.id;
  const logs: World['logs'] = [];
  const sweeper = new BlobSweeper(metadata, blobs, {
    inFlightFloorMs: 0,
    queuedDeleteDelayMs: 60_000,
    orphanGraceMs: HOUR,
    tmpGraceMs: HOUR,
    intervalMs: 30_000,
    log: (msg, fields) => logs.push({ msg, fields }),
  });
  return { root, blobs, metadata, bucketId, ownerId: user.id, logs, sweeper };
}

async function close(w: World): Promise<void> {
  await w.sweeper.stop();
  await w.metadata.close();
  await w.blobs.close();
}

async function* bytes(s: string): AsyncGenerator<Buffer> {
  yield Buffer.from(s);
}

async function writeBlob(blobs: BlobStore, s: string): Promise<string> {
  return (await blobs.write(bytes(s))).blobId;
}

async function blobIds(blobs: BlobStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const b of blobs.list()) ids.push(b.blobId);
  return ids.sort();
}

function object(w: World, key: string, blobId: string, size: number): NewObject {
  return {
    bucketId: w.bucketId,
    key,
    size,
    etag: '"00000000000000000000000000000000"',
    contentType: 'application/octet-stream',
    headers: {},
    inline: null,
    parts: [{ blobId, size }],
    checksum: null,
    tagging: null,
    ownerId: w.ownerId,
    storageClass: 'STANDARD',
  };
}

async function putObject(w: World, key: string, body: string): Promise<string> {
  const blobId = await writeBlob(w.blobs, body);
  const r = await w.metadata.putObject(object(w, key, blobId, body.length));
  assert.equal(r.ok, true);
  return blobId;
}

describe('BlobSweeper', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(() => close(w));

  it('deletes a replaced object’s blob only after the queued-deletion delay', async () => {
    const old = await putObject(w, 'replaced', 'v1');
    const current = await putObject(w, 'replaced', 'v2');

    const early = await w.sweeper.runOnce(Date.now());
    assert.equal(early.deletedQueued, 0);
    assert.ok((await blobIds(w.blobs)).includes(old), 'a GET may still be reading it');

    const later = await w.sweeper.runOnce(Date.now() + 60_001);
    assert.equal(later.deletedQueued, 1);
    const left = await blobIds(w.blobs);
    assert.ok(!left.includes(old));
    assert.ok(left.includes(current));
    assert.deepEqual(await w.metadata.takeBlobDeletions(Date.now() + 10 * HOUR, 10), [], 'deletion acked');
    // What metrics report (ops/metrics.ts): passes and deletions since start, added up.
    assert.ok(w.sweeper.progress.passes >= 2);
    assert.ok(w.sweeper.progress.deletedQueued >= 1);
    assert.ok(w.sweeper.progress.lastPassAt !== undefined && w.sweeper.progress.lastPassAt <= Date.now());
  });

  it('deletes a deleted object’s blob after the delay', async () => {
    const blob = await putObject(w, 'deleted', 'bye');
    const r = await w.metadata.deleteObject(w.bucketId, 'deleted');
    assert.equal(r.ok, true);
    assert.equal((await w.sweeper.runOnce(Date.now() + 60_001)).deletedQueued, 1);
    assert.ok(!(await blobIds(w.blobs)).includes(blob));
  });

  it('deletes an orphan blob only after the grace period', async () => {
    const orphan = await writeBlob(w.blobs, 'never committed');

    assert.equal((await w.sweeper.runOnce(Date.now())).deletedOrphans, 0);
    assert.equal((await w.sweeper.runOnce(Date.now() + HOUR - 60_000)).deletedOrphans, 0, 'commit may be in flight');
    assert.ok((await blobIds(w.blobs)).includes(orphan));

    assert.equal((await w.sweeper.runOnce(Date.now() + HOUR + 1_000)).deletedOrphans, 1);
    assert.ok(!(await blobIds(w.blobs)).includes(orphan));
    assert.ok(w.logs.some((l) => l.msg === 'deleted orphan blob'));
  });

  it('never deletes a referenced blob (object or upload part), however old', async () => {
    const kept = await putObject(w, 'kept', 'precious');
    const upload = await w.metadata.createUpload({
      uploadId: newId(),
      bucketId: w.bucketId,
      key: 'mp',
      ownerId: w.ownerId,
      contentType: 'application/octet-stream',
      headers: {},
      tagging: null,
      storageClass: 'STANDARD',
      checksumAlgorithm: null,
      checksumType: null,
    });
    const part = await writeBlob(w.blobs, 'part one');
    const pr = await w.metadata.putUploadPart({
      uploadId: upload.uploadId,
      partNumber: 1,
      blobId: part,
      size: 8,
      etag: '"11111111111111111111111111111111"',
      checksum: null,
    });
    assert.equal(pr.ok, true);

    const r = await w.sweeper.runOnce(Date.now() + 10 * 365 * 24 * HOUR);
    assert.equal(r.deletedOrphans, 0);
    const left = await blobIds(w.blobs);
    assert.ok(left.includes(kept));
    assert.ok(left.includes(part));
  });

  it('removes temporary leftovers older than tmpGraceMs, not younger ones', async () => {
    const tmp = join(w.root, 'tmp');
    const stale = `${'ab'.repeat(16)}.0badf00d`;
    const young = `${'cd'.repeat(16)}.0badf00d`;
    await writeFile(join(tmp, stale), 'crashed write');
    await writeFile(join(tmp, young), 'write in progress');
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
    await utimes(join(tmp, stale), twoHoursAgo, twoHoursAgo);

    assert.equal((await w.sweeper.runOnce()).deletedTemporary, 1);
    assert.deepEqual(await readdir(tmp), [young]);
  });

  it('serialises concurrent passes instead of overlapping them', async () => {
    const a = await putObject(w, 'serial', 'a');
    await putObject(w, 'serial', 'b');
    const later = Date.now() + 60_001;
    const [r1, r2] = await Promise.all([w.sweeper.runOnce(later), w.sweeper.runOnce(later)]);
    // Had they overlapped, both would have taken (and counted) the same queued blob.
    assert.equal(r1.deletedQueued + r2.deletedQueued, 1);
    assert.ok(!(await blobIds(w.blobs)).includes(a));
  });
});

describe('BlobSweeper timer and failures', () => {
  it('start() runs passes on the interval; stop() ends them', async () => {
    const w = await world();
    const sweeper = new BlobSweeper(w.metadata, w.blobs, { intervalMs: 20, tmpGraceMs: 0, log: () => {} });
    try {
      sweeper.start();
      sweeper.start(); // idempotent
      await writeFile(join(w.root, 'tmp', `${'ef'.repeat(16)}.00000000`), 'left over');
      const deadline = Date.now() + 5_000;
      while ((await readdir(join(w.root, 'tmp'))).length > 0) {
        assert.ok(Date.now() < deadline, 'the timer should have swept tmp/');
        await new Promise((r) => setTimeout(r, 10));
      }
      await sweeper.stop();
      await writeFile(join(w.root, 'tmp', `${'ef'.repeat(16)}.11111111`), 'after stop');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await readdir(join(w.root, 'tmp'))).length, 1, 'no pass after stop()');
    } finally {
      await sweeper.stop();
      await close(w);
    }
  });

  it('logs a failing step, still runs the others, and rejects', async () => {
    const w = await world();
    await writeFile(join(w.root, 'tmp', `${'01'.repeat(16)}.00000000`), 'left over');
    await w.metadata.close(); // every metadata call now fails
    const logs: string[] = [];
    const sweeper = new BlobSweeper(w.metadata, w.blobs, { tmpGraceMs: 0, log: (msg) => logs.push(msg) });
    await writeBlob(w.blobs, 'would be an orphan');
    await assert.rejects(sweeper.runOnce(Date.now() + 10 * HOUR));
    assert.ok(logs.includes('queued deletions failed'), logs.join('; '));
    assert.ok(logs.includes('orphan sweep failed'), logs.join('; '));
    assert.equal((await blobIds(w.blobs)).length, 1, 'nothing deleted without the metadata to say so');
    assert.deepEqual(await readdir(join(w.root, 'tmp')), [], 'the temporary sweep still ran');
    await w.blobs.close();
  });
});
