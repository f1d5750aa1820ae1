/**
 * s3fs-fuse mounting a bucket with the `sh s3fs-mount` / `text s3fs-passwd` blocks of
 * docs/clients/s3fs-fuse.md: ls (awkward names and a 2,000-entry folder), cp in, read back, rm.
 * Needs /dev/fuse and root; skipped with the reason otherwise.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { run } from '../helpers/clients.js';
import { sha256 } from '../helpers/tree.js';
import { awkwardObjects, compatEnv, have, MANY, putMany, snippet, type CompatEnv } from '../helpers/compat.js';

const skip = !existsSync('/dev/fuse')
  ? '/dev/fuse is missing (FUSE is not available in this container)'
  : !have('s3fs')
    ? 's3fs is not installed (scripts/install-test-deps.sh installs it)'
    : process.getuid?.() !== 0
      ? 'mounting needs root'
      : false;

let env: CompatEnv;
let work: string;
let mount: string;
let mounted = false;
before(async () => {
  if (skip) return;
  env = await compatEnv('s3fs');
  work = mkdtempSync(join(tmpdir(), 'granary-compat-s3fs-'));
  mount = join(work, 'mnt');
  mkdirSync(mount);
});
after(async () => {
  if (mounted) run('fusermount', ['-u', mount], { allowFailure: true }).status === 0 || run('umount', ['-l', mount], { allowFailure: true });
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('s3fs mount: the docs blocks `sh s3fs-mount` and `text s3fs-passwd`', { skip }, async () => {
  const bucket = 's3fs-fuse';
  await env.sdk.send(new CreateBucketCommand({ Bucket: bucket }));
  const objs = awkwardObjects();
  for (const [k, v] of Object.entries(objs)) await env.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: v }));
  await putMany(env.sdk, bucket);

  const passwd = join(work, 'passwd-s3fs');
  writeFileSync(passwd, snippet('s3fs-fuse.md', 's3fs-passwd', env.vars));
  chmodSync(passwd, 0o600);
  const cmd = snippet('s3fs-fuse.md', 's3fs-mount', { ...env.vars, BUCKET: bucket, MOUNT: mount, PASSWD_FILE: passwd }).trim();
  run('sh', ['-c', cmd], { timeoutMs: 60_000 });
  mounted = true;

  // ls: awkward names (including a literal %2F and '&') and all 2,000 entries of many/.
  const top = readdirSync(mount).sort();
  assert.deepEqual(top, ['amp&ersand', 'dir with space', 'literal%2Fslash.txt', 'long', 'many', 'plus+sign', 'ünïcödé'].sort());
  assert.equal(readdirSync(join(mount, 'many')).length, MANY);
  for (const [k, v] of Object.entries(objs)) assert.deepEqual(readFileSync(join(mount, k)), v, k);

  // cp in, read back through the mount and through S3.
  const data = randomBytes(3 * 1024 * 1024 + 5);
  writeFileSync(join(work, 'in.bin'), data);
  run('cp', [join(work, 'in.bin'), join(mount, 'dir with space', 'copied in+ü.bin')]);
  assert.equal(sha256(readFileSync(join(mount, 'dir with space', 'copied in+ü.bin'))), sha256(data));
  const viaS3 = await env.sdk.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir with space/copied in+ü.bin' }));
  assert.equal(sha256(Buffer.from(await viaS3.Body!.transformToByteArray())), sha256(data));

  // rm through the mount removes the object.
  run('rm', [join(mount, 'dir with space', 'copied in+ü.bin'), join(mount, 'amp&ersand', 'x&y.txt')]);
  assert.ok(!readdirSync(join(mount, 'dir with space')).includes('copied in+ü.bin'));
  await assert.rejects(env.sdk.send(new GetObjectCommand({ Bucket: bucket, Key: 'amp&ersand/x&y.txt' })), /NoSuchKey|does not exist/);
});
