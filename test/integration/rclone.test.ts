/**
 * rclone (Debian 1.60) configured exactly as CLIENTS.md tells users, passed with --config:
 * mkdir, copy, check, ls, lsd, sync after a local change, delete, purge, contents compared on copy back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { run } from '../helpers/clients.js';
import { awkwardTree, treeHashes, writeTree } from '../helpers/tree.js';

let server: TestServer;
let work: string;
let conf: string;

before(async () => {
  server = await startServer();
  work = mkdtempSync(join(tmpdir(), 'granary-rclone-'));
  conf = join(work, 'rclone.conf');
  writeFileSync(
    conf,
    [
      '[granary]',
      'type = s3',
      'provider = Other',
      `access_key_id = ${server.accessKey}`,
      `secret_access_key = ${server.secretKey}`,
      `endpoint = http://${server.endpoint}`,
      'acl = private',
      '',
    ].join('\n'),
  );
});
after(async () => {
  await server?.stop();
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

// rclone's AWS SDK fails on a machine-wide AWS_CA_BUNDLE when the endpoint is plain HTTP; a user's shell
// pointing at http:// would not have it set for this, so leave it out.
const { AWS_CA_BUNDLE: _caBundle, ...rcloneEnv } = process.env;
const rclone = (args: string[], allowFailure = false) =>
  run('rclone', ['--config', conf, '--low-level-retries', '1', '--retries', '1', ...args], { allowFailure, timeoutMs: 120_000, env: rcloneEnv });

test('mkdir, copy, check, ls, lsd, sync, delete, purge', () => {
  const bucket = `rclone-${process.pid}`;
  const remote = `granary:${bucket}`;
  const src = mkdtempSync(join(work, 'src-'));
  const tree = awkwardTree();
  tree['big/five MiB.bin'] = randomBytes(5 * 1024 * 1024);
  writeTree(src, tree);

  rclone(['mkdir', remote]);
  assert.match(rclone(['lsd', 'granary:']).stdout, new RegExp(`\\s${bucket}$`, 'm'));

  rclone(['copy', src, `${remote}/tree`]);
  const check = rclone(['check', src, `${remote}/tree`], true);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stderr, /0 differences found/);

  const ls = rclone(['ls', `${remote}/tree`]).stdout.trim().split('\n').map((l) => l.trim().replace(/^\d+\s+/, '')).sort();
  assert.deepEqual(ls, Object.keys(tree).sort());
  const lsd = rclone(['lsd', `${remote}/tree`]).stdout;
  for (const d of ['with space', 'plus+sign', 'ünïcödé', 'deep', 'big']) assert.match(lsd, new RegExp(`\\s${d.replace('+', '\\+')}$`, 'm'));

  const back = mkdtempSync(join(work, 'back-'));
  rclone(['copy', `${remote}/tree`, back]);
  assert.deepEqual(treeHashes(back), treeHashes(src));

  // A second copy transfers nothing.
  const again = rclone(['copy', '-v', src, `${remote}/tree`]);
  assert.doesNotMatch(again.stderr, /: Copied/, again.stderr);

  // Local change: modify one file, add one, remove one; sync mirrors it exactly.
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
  const back2 = mkdtempSync(join(work, 'back2-'));
  rclone(['copy', `${remote}/tree`, back2]);
  assert.deepEqual(treeHashes(back2), treeHashes(src));

  rclone(['delete', `${remote}/tree/deep`]);
  const afterDelete = rclone(['ls', `${remote}/tree`]).stdout;
  assert.doesNotMatch(afterDelete, /deeper\.bin/);
  assert.match(afterDelete, /plain\.txt/);

  rclone(['purge', remote]);
  assert.doesNotMatch(rclone(['lsd', 'granary:']).stdout, new RegExp(`\\s${bucket}$`, 'm'));
});
