/**
 * rclone (Debian 1.60), the one rclone suite, with the exact rclone.conf blocks of docs/clients/rclone.md:
 * copy (and the skip on re-copy), sync, check, ls of a 2,000-entry "directory", server-side copy between
 * buckets, a multipart upload with --s3-upload-cutoff 5M --s3-chunk-size 5M, purge — with awkward keys,
 * over HTTP and HTTPS; and a local tree (empty file, deep nesting, a 5 MiB file) through ls, lsd, check,
 * a sync of local changes (modified, added, removed), delete of a directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { run } from '../helpers/clients.js';
import { awkwardTree, sha256, treeHashes, writeTree } from '../helpers/tree.js';
import { awkwardObjects, compatEnv, httpsUnavailable, MANY, putMany, snippet, type CompatEnv } from '../helpers/compat.js';
import { startHttps, type HttpsEnv } from './https.js';

let env: CompatEnv;
let work: string;
before(async () => {
  env = await compatEnv('rclone');
  work = mkdtempSync(join(tmpdir(), 'granary-compat-rclone-'));
});
after(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function rcloneWith(confText: string, label: string, extra: string[] = []) {
  const conf = join(work, `${label}.conf`);
  writeFileSync(conf, confText);
  // rclone will not start with AWS_CA_BUNDLE set for a plain-HTTP endpoint: run it without.
  const { AWS_CA_BUNDLE: _drop, ...rest } = process.env;
  return (args: string[], allowFailure = false) =>
    run('rclone', ['--config', conf, ...extra, ...args], { allowFailure, timeoutMs: 240_000, env: { ...rest, HOME: work } });
}

async function exercise(rclone: ReturnType<typeof rcloneWith>, label: string, sdk = env.sdk): Promise<void> {
  const bucket = `rclone-${label}`;
  const other = `rclone-${label}-copy`;
  rclone(['mkdir', `granary:${bucket}`]);
  rclone(['mkdir', `granary:${other}`]);
  assert.match(rclone(['lsd', 'granary:']).stdout, new RegExp(` ${bucket}$`, 'm'));

  const src = join(work, `${label}-src`);
  const back = join(work, `${label}-back`);
  const objs = awkwardObjects();
  writeTree(src, objs);
  rclone(['copy', src, `granary:${bucket}/awk`]);
  const listed = rclone(['lsf', '-R', '--files-only', `granary:${bucket}/awk`]).stdout.trim().split('\n').sort();
  assert.deepEqual(listed, Object.keys(objs).sort());
  // A second copy transfers nothing (size + modtime/MD5 match).
  const again = rclone(['copy', '-v', src, `granary:${bucket}/awk`]).stderr;
  assert.doesNotMatch(again, /: Copied/, again);
  rclone(['check', src, `granary:${bucket}/awk`]);
  // sync deletes what is gone locally.
  unlinkSync(join(src, 'amp&ersand/x&y.txt'));
  rclone(['sync', src, `granary:${bucket}/awk`]);
  rclone(['check', src, `granary:${bucket}/awk`]);
  rclone(['copy', `granary:${bucket}/awk`, back]);
  assert.deepEqual(treeHashes(back), treeHashes(src));

  // Server-side copy between buckets, then check both sides agree.
  rclone(['copy', `granary:${bucket}/awk`, `granary:${other}/awk`]);
  rclone(['check', `granary:${bucket}/awk`, `granary:${other}/awk`]);

  // Large multipart upload in 5 MiB parts.
  const big = randomBytes(17 * 1024 * 1024);
  writeFileSync(join(work, `${label}-big.bin`), big);
  rclone(['copy', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M', join(work, `${label}-big.bin`), `granary:${bucket}/large`]);
  const head = await sdk.send(new HeadObjectCommand({ Bucket: bucket, Key: `large/${label}-big.bin` }));
  assert.equal(head.ContentLength, big.length);
  assert.match(head.ETag ?? '', /-4"$/, 'a 4-part multipart ETag');
  rclone(['copy', `granary:${bucket}/large/${label}-big.bin`, join(work, `${label}-big-back`)]);
  assert.equal(sha256(readFileSync(join(work, `${label}-big-back`, `${label}-big.bin`))), sha256(big));

  // 2,000-entry directory, listed completely.
  await putMany(sdk, bucket);
  const many = rclone(['lsf', `granary:${bucket}/many`]).stdout.trim().split('\n');
  assert.equal(many.length, MANY);
  assert.equal(new Set(many).size, MANY);

  rclone(['purge', `granary:${bucket}`]);
  rclone(['purge', `granary:${other}`]);
  assert.doesNotMatch(rclone(['lsd', 'granary:']).stdout, new RegExp(` ${bucket}$`, 'm'));
}

test('internal endpoint: the docs block `ini rclone.conf`', async () => {
  await exercise(rcloneWith(snippet('rclone.md', 'rclone.conf', env.vars), 'http'), 'http');
});

test('a local tree: ls, lsd, check, sync of local changes, delete of a directory', () => {
  const rclone = rcloneWith(snippet('rclone.md', 'rclone.conf', env.vars), 'tree', ['--low-level-retries', '1', '--retries', '1']);
  const bucket = 'rclone-tree';
  const remote = `granary:${bucket}`;
  const src = join(work, 'tree-src');
  const tree = awkwardTree();
  tree['big/five MiB.bin'] = randomBytes(5 * 1024 * 1024);
  writeTree(src, tree);
  rclone(['mkdir', remote]);
  rclone(['copy', src, `${remote}/tree`]);
  const check = rclone(['check', src, `${remote}/tree`], true);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stderr, /0 differences found/);

  const ls = rclone(['ls', `${remote}/tree`]).stdout.trim().split('\n').map((l) => l.trim().replace(/^\d+\s+/, '')).sort();
  assert.deepEqual(ls, Object.keys(tree).sort());
  const lsd = rclone(['lsd', `${remote}/tree`]).stdout;
  for (const d of ['with space', 'plus+sign', 'ünïcödé', 'deep', 'big']) assert.match(lsd, new RegExp(`\\s${d.replace('+', '\\+')}$`, 'm'));

  // Local change: modify one file, add one, remove one; sync mirrors it exactly, leaving the rest alone.
  writeFileSync(join(src, 'plain.txt'), 'changed and longer\n');
  writeFileSync(join(src, 'with space/new file.txt'), 'new');
  unlinkSync(join(src, 'percent%20literal.txt'));
  const sync = rclone(['sync', '-v', src, `${remote}/tree`]);
  assert.match(sync.stderr, /plain\.txt: Copied/);
  assert.match(sync.stderr, /new file\.txt: Copied/);
  assert.match(sync.stderr, /percent%20literal\.txt: Deleted/);
  assert.doesNotMatch(sync.stderr, /deeper\.bin: Copied/);
  const check2 = rclone(['check', src, `${remote}/tree`], true);
  assert.equal(check2.status, 0, check2.stderr);
  assert.match(check2.stderr, /0 differences found/);
  const back = join(work, 'tree-back');
  rclone(['copy', `${remote}/tree`, back]);
  assert.deepEqual(treeHashes(back), treeHashes(src));

  rclone(['delete', `${remote}/tree/deep`]);
  const afterDelete = rclone(['ls', `${remote}/tree`]).stdout;
  assert.doesNotMatch(afterDelete, /deeper\.bin/);
  assert.match(afterDelete, /plain\.txt/);
  rclone(['purge', remote]);
  assert.doesNotMatch(rclone(['lsd', 'granary:']).stdout, new RegExp(`\\s${bucket}$`, 'm'));
});

const noHttps = httpsUnavailable();
describe('external endpoint (HTTPS)', { skip: noHttps ?? false }, () => {
  let h: HttpsEnv;
  before(async () => {
    h = await startHttps('rclone');
  });
  after(async () => h?.stop());
  test('HTTPS with --ca-cert: the docs block `ini rclone-https.conf`', async () => {
    await exercise(rcloneWith(snippet('rclone.md', 'rclone-https.conf', h.vars), 'https', ['--ca-cert', h.ca]), 'https', h.env.sdk);
  });
});
