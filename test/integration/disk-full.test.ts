/**
 * Issue 15 #3: a full data filesystem deadlocked the store (every write a retryable 500, and DeleteObject
 * 500 too, so nothing could free space through Granary). Here the server's data directory is on a small
 * ext4 filesystem this test makes and loop-mounts (CI runs as root). Uploads are refused with
 * InsufficientStorage (507) at the low-water mark; another program then fills the disk to the last block,
 * and deletes still commit (the space reserve is released to the metadata store), and once space is back
 * writes work again. A second filesystem without mark or reserve shows ENOSPC itself answered 507.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;
const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`;
const isRoot = process.getuid?.() === 0;

interface LoopFs {
  dir: string;
  mnt: string;
  cleanup(): void;
}

/** A fresh ext4 filesystem of `sizeMiB` with no blocks reserved for root (so "full" is full for us too). */
function makeLoopFs(sizeMiB: number): LoopFs | string {
  const dir = mkdtempSync(join(tmpdir(), 'granary-diskfull-'));
  const img = join(dir, 'fs.img');
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, PATH } });
  for (const [cmd, args] of [['truncate', ['-s', `${sizeMiB}M`, img]], ['mkfs.ext4', ['-q', '-F', '-m', '0', img]], ['mount', ['-o', 'loop', img, mnt]]] as const) {
    const r = sh(cmd, [...args]);
    if (r.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      return `${cmd} failed: ${r.stderr || r.error?.message}`;
    }
  }
  return {
    dir,
    mnt,
    cleanup() {
      sh('umount', [mnt]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Another program filling the filesystem to its last block (a log, a scratch file). */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [MiB, 64 * 1024, 4096, 512]) {
      const buf = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          writeSync(fd, buf);
        } catch (e) {
          if ((e as { code?: string }).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

const freeBytes = (p: string): number => {
  const s = statfsSync(p);
  return s.bavail * s.bsize;
};

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? -1;
  }
}

const skip = isRoot ? false : 'needs root to make and mount a loop filesystem (CI runs as root)';
let fs1: LoopFs | undefined;
let server: TestServer | undefined;
let s3: S3Client | undefined;

before(async () => {
  if (skip) return;
  const made = makeLoopFs(64);
  if (typeof made === 'string') throw new Error(`cannot make the test filesystem: ${made}`);
  fs1 = made;
  server = await startServer({
    dataDir: join(fs1.mnt, 'data'),
    env: {
      GRANARY_MIN_FREE_BYTES: String(8 * MiB),
      GRANARY_SPACE_RESERVE_BYTES: String(4 * MiB),
      GRANARY_QUEUED_DELETE_DELAY_MS: '0',
      GRANARY_SWEEP_INTERVAL_MS: '200',
    },
  });
  s3 = new S3Client({ endpoint: server.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey }, maxAttempts: 1 });
});
after(async () => {
  s3?.destroy();
  await server?.stop();
  fs1?.cleanup();
});

test('a full disk: writes are refused with 507, deletes keep working, space comes back', { skip }, async () => {
  const c = s3!;
  const mnt = fs1!.mnt;
  assert.ok(existsSync(join(mnt, 'data', 'space-reserve')), 'the space reserve is written while there is room');
  await c.send(new CreateBucketCommand({ Bucket: 'full' }));
  // Upload until the store refuses: the answer is InsufficientStorage, never a 500.
  const stored: string[] = [];
  let refusal = 0;
  for (let i = 0; i < 64 && refusal === 0; i++) {
    const st = await status(c.send(new PutObjectCommand({ Bucket: 'full', Key: `obj-${i}`, Body: Buffer.alloc(2 * MiB, i) })));
    if (st === 200) stored.push(`obj-${i}`);
    else refusal = st;
  }
  assert.equal(refusal, 507, 'refused at the low-water mark with InsufficientStorage');
  assert.ok(stored.length >= 10, `most of the filesystem was usable (${stored.length} objects)`);
  assert.ok(freeBytes(mnt) > 0, 'the mark leaves room');

  // Something else fills the disk to the last block.
  fillUp(join(mnt, 'filler'));
  assert.ok(freeBytes(mnt) < 64 * 1024, 'the filesystem is full');
  await new Promise((r) => setTimeout(r, 500)); // the server's last look at free space (≤ 250 ms old) is stale
  // New data, small (inline in the database) or not: 507, not 500.
  assert.equal(await status(c.send(new PutObjectCommand({ Bucket: 'full', Key: 'tiny', Body: 'x' }))), 507);
  assert.equal(await status(c.send(new PutObjectCommand({ Bucket: 'full', Key: 'big', Body: Buffer.alloc(MiB) }))), 507);
  // Reads work; deletes work: they need only metadata, and the reserve makes room for it.
  assert.equal(await (await c.send(new GetObjectCommand({ Bucket: 'full', Key: stored[0]! }))).Body!.transformToByteArray().then((b) => b.length), 2 * MiB);
  assert.equal(await status(c.send(new DeleteObjectCommand({ Bucket: 'full', Key: stored[0]! }))), 200);
  const res = await c.send(new DeleteObjectsCommand({ Bucket: 'full', Delete: { Objects: stored.slice(1, 6).map((Key) => ({ Key })) } }));
  assert.deepEqual(res.Errors ?? [], []);
  assert.equal(res.Deleted?.length, 5);
  const left = (await c.send(new ListObjectsV2Command({ Bucket: 'full' }))).Contents?.map((o) => o.Key) ?? [];
  assert.equal(left.length, stored.length - 6);

  // The other program's file goes; the deleted objects' blobs are reclaimed; writes work again, and the
  // reserve is written back.
  rmSync(join(mnt, 'filler'));
  let st = 0;
  for (let i = 0; i < 100 && st !== 200; i++) {
    st = await status(c.send(new PutObjectCommand({ Bucket: 'full', Key: 'again', Body: Buffer.alloc(2 * MiB, 7) })));
    if (st !== 200) {
      assert.equal(st, 507);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  assert.equal(st, 200, 'writes work again once space is back');
  for (let i = 0; i < 100 && !existsSync(join(mnt, 'data', 'space-reserve')); i++) await new Promise((r) => setTimeout(r, 200));
  assert.ok(existsSync(join(mnt, 'data', 'space-reserve')), 'the reserve is back');
  if (process.env.DISKFULL_DEBUG) console.log(server!.output());
  assert.doesNotMatch(server!.output(), /"level":"error"/, 'nothing was an internal error');
});

test('without a mark or a reserve, ENOSPC itself is answered 507, never 500', { skip }, async () => {
  const made = makeLoopFs(32);
  if (typeof made === 'string') throw new Error(`cannot make the test filesystem: ${made}`);
  let srv: TestServer | undefined;
  let c: S3Client | undefined;
  try {
    srv = await startServer({ dataDir: join(made.mnt, 'data'), env: { GRANARY_MIN_FREE_BYTES: '0', GRANARY_SPACE_RESERVE_BYTES: '0' } });
    c = new S3Client({ endpoint: srv.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: srv.accessKey, secretAccessKey: srv.secretKey }, maxAttempts: 1 });
    await c.send(new CreateBucketCommand({ Bucket: 'nomark' }));
    fillUp(join(made.mnt, 'filler'));
    // A blob write (ENOSPC from the file system) and inline writes (the database, when it must grow).
    assert.equal(await status(c.send(new PutObjectCommand({ Bucket: 'nomark', Key: 'big', Body: Buffer.alloc(4 * MiB) }))), 507);
    for (let i = 0; i < 20; i++) {
      const st = await status(c.send(new PutObjectCommand({ Bucket: 'nomark', Key: `small-${i}`, Body: Buffer.alloc(32 * 1024, i) })));
      assert.ok(st === 200 || st === 507, `small write ${i}: ${st}`);
    }
    assert.doesNotMatch(srv.output(), /"level":"error"/, 'nothing was an internal error');
  } finally {
    c?.destroy();
    await srv?.stop();
    made.cleanup();
  }
});
