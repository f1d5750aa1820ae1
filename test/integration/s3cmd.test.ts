/**
 * s3cmd (Debian 2.3) configured exactly as CLIENTS.md tells users (path-style, SigV4, plain HTTP),
 * passed with -c: mb, ls, put, get, del, sync, rm --recursive, info, du, with contents compared.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { run } from '../helpers/clients.js';
import { awkwardTree, sha256, treeHashes, writeTree } from '../helpers/tree.js';

let server: TestServer;
let work: string;
let cfg: string;

before(async () => {
  server = await startServer();
  work = mkdtempSync(join(tmpdir(), 'granary-s3cmd-'));
  cfg = join(work, 's3cfg');
  writeFileSync(
    cfg,
    [
      `access_key = ${server.accessKey}`,
      `secret_key = ${server.secretKey}`,
      `host_base = ${server.endpoint}`,
      `host_bucket = ${server.endpoint}`,
      'use_https = False',
      'signature_v2 = False',
      '',
    ].join('\n'),
  );
});
after(async () => {
  await server?.stop();
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const s3cmd = (args: string[], allowFailure = false) =>
  run('s3cmd', ['-c', cfg, '--no-progress', ...args], { allowFailure, timeoutMs: 120_000, env: { ...process.env, HOME: work } });

test('mb, ls, put, get, info, du, del', () => {
  const bucket = `s3cmd-${process.pid}-a`;
  const dir = mkdtempSync(join(work, 'files-'));
  s3cmd(['mb', `s3://${bucket}`]);
  assert.match(s3cmd(['ls']).stdout, new RegExp(`s3://${bucket}$`, 'm'));

  const small = randomBytes(3000);
  const big = randomBytes(5 * 1024 * 1024);
  writeFileSync(join(dir, 'small.bin'), small);
  writeFileSync(join(dir, 'big file+ü.bin'), big);
  s3cmd(['put', join(dir, 'small.bin'), `s3://${bucket}/small.bin`]);
  s3cmd(['put', join(dir, 'big file+ü.bin'), `s3://${bucket}/dir/big file+ü.bin`]);

  const ls = s3cmd(['ls', `s3://${bucket}`]).stdout;
  assert.match(ls, /DIR\s+s3:\/\/.*\/dir\/$/m);
  assert.match(ls, /\s3000\s+s3:\/\/.*\/small\.bin$/m);
  const lsr = s3cmd(['ls', '--recursive', `s3://${bucket}`]).stdout;
  assert.match(lsr, new RegExp(`\\s${big.length}\\s+s3://${bucket}/dir/big file\\+ü\\.bin$`, 'm'));

  s3cmd(['get', `s3://${bucket}/small.bin`, join(dir, 'small.back')]);
  s3cmd(['get', `s3://${bucket}/dir/big file+ü.bin`, join(dir, 'big.back')]);
  assert.equal(sha256(readFileSync(join(dir, 'small.back'))), sha256(small));
  assert.equal(sha256(readFileSync(join(dir, 'big.back'))), sha256(big));

  const info = s3cmd(['info', `s3://${bucket}/dir/big file+ü.bin`]).stdout;
  assert.match(info, new RegExp(`File size:\\s+${big.length}`));
  assert.match(info, /MD5 sum:\s+[0-9a-f]{32}/);
  const binfo = s3cmd(['info', `s3://${bucket}`]).stdout;
  assert.match(binfo, /Location:/);

  const du = s3cmd(['du', `s3://${bucket}`]).stdout;
  assert.match(du, new RegExp(`^\\s*${big.length + small.length}\\s+2 objects`, 'm'));

  s3cmd(['del', `s3://${bucket}/small.bin`]);
  const after = s3cmd(['ls', '--recursive', `s3://${bucket}`]).stdout;
  assert.doesNotMatch(after, /small\.bin/);
  const missing = s3cmd(['get', `s3://${bucket}/small.bin`, join(dir, 'nothing')], true);
  assert.notEqual(missing.status, 0);
  s3cmd(['del', `s3://${bucket}/dir/big file+ü.bin`]);
  s3cmd(['rb', `s3://${bucket}`]);
  assert.doesNotMatch(s3cmd(['ls']).stdout, new RegExp(`s3://${bucket}$`, 'm'));
});

test('sync a tree up and back, re-sync, rm --recursive', () => {
  const bucket = `s3cmd-${process.pid}-b`;
  const src = mkdtempSync(join(work, 'src-'));
  const back = mkdtempSync(join(work, 'back-'));
  const tree = awkwardTree();
  writeTree(src, tree);
  s3cmd(['mb', `s3://${bucket}`]);
  s3cmd(['sync', src + '/', `s3://${bucket}/tree/`]);
  const lsr = s3cmd(['ls', '--recursive', `s3://${bucket}`]).stdout.trim().split('\n');
  assert.equal(lsr.length, Object.keys(tree).length, lsr.join('\n'));
  const again = s3cmd(['sync', src + '/', `s3://${bucket}/tree/`]).stdout;
  assert.doesNotMatch(again, /upload:/, again);
  s3cmd(['sync', `s3://${bucket}/tree/`, back + '/']);
  assert.deepEqual(treeHashes(back), treeHashes(src));

  const rm = s3cmd(['rm', '--recursive', `s3://${bucket}/tree/`]).stdout;
  assert.match(rm, /delete: /);
  assert.equal(s3cmd(['ls', '--recursive', `s3://${bucket}`]).stdout.trim(), '');
  s3cmd(['rb', `s3://${bucket}`]);
});
