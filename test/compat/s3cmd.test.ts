/**
 * s3cmd (Debian 2.3), the one s3cmd suite, with the exact .s3cfg blocks of docs/clients/s3cmd.md: internal
 * HTTP (SigV4 and SigV2) and the external HTTPS endpoint with the test CA. Awkward keys round-trip through
 * sync up and down; a 2,000-entry "directory" lists completely; signurl, setpolicy, du, rm --recursive, rb.
 * Then, on the internal endpoint: mb, ls, put, get, info, du, del of a 5 MiB file (sizes and MD5 as s3cmd
 * shows them), and a local tree (empty file, deep nesting) synced up and back, re-synced, removed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../helpers/clients.js';
import { awkwardTree, sha256, treeHashes, writeTree } from '../helpers/tree.js';
import { awkwardObjects, compatEnv, httpsUnavailable, MANY, putMany, snippet, type CompatEnv } from '../helpers/compat.js';
import { fetchWith, startHttps, type HttpsEnv } from './https.js';

let env: CompatEnv;
let work: string;
before(async () => {
  env = await compatEnv('s3cmd');
  work = mkdtempSync(join(tmpdir(), 'granary-compat-s3cmd-'));
});
after(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function s3cmdWith(cfgText: string, label: string) {
  const cfg = join(work, `${label}.s3cfg`);
  writeFileSync(cfg, cfgText);
  return (args: string[], allowFailure = false) =>
    run('s3cmd', ['-c', cfg, '--no-progress', ...args], { allowFailure, timeoutMs: 180_000, env: { ...process.env, HOME: work, PYTHONIOENCODING: 'utf-8', LANG: 'C.UTF-8' } });
}

async function exercise(s3cmd: ReturnType<typeof s3cmdWith>, label: string, sdk = env.sdk, ca?: string): Promise<void> {
  const bucket = `s3cmd-${label}`;
  s3cmd(['mb', `s3://${bucket}`]);
  assert.match(s3cmd(['ls']).stdout, new RegExp(`s3://${bucket}$`, 'm'));

  // Awkward keys: sync a local tree up, list, sync it back down, compare.
  const src = join(work, `${label}-src`);
  const back = join(work, `${label}-back`);
  const objs = awkwardObjects();
  writeTree(src, objs);
  mkdirSync(back);
  s3cmd(['sync', src + '/', `s3://${bucket}/awk/`]);
  const listed = s3cmd(['ls', '--recursive', `s3://${bucket}/awk/`]).stdout.trim().split('\n');
  const keys = listed.map((l) => l.replace(/^.*?s3:\/\/[^/]+\/awk\//, '')).sort();
  assert.deepEqual(keys, Object.keys(objs).sort());
  s3cmd(['sync', `s3://${bucket}/awk/`, back + '/']);
  assert.deepEqual(treeHashes(back), treeHashes(src));
  // Single get/put/info/del of the literal %2F key.
  const pct = 'literal%2Fslash.txt';
  s3cmd(['put', join(src, pct), `s3://${bucket}/single/${pct}`]);
  assert.match(s3cmd(["info", `s3://${bucket}/single/${pct}`]).stdout, new RegExp(`File size:\\s+${objs[pct].length}\\b`));
  s3cmd(['get', `s3://${bucket}/single/${pct}`, join(work, `${label}-pct`)]);
  s3cmd(['del', `s3://${bucket}/single/${pct}`]);

  // signurl: a presigned link fetched without credentials.
  const url = s3cmd(['signurl', `s3://${bucket}/awk/plus+sign/a+b=c.dat`, '+600']).stdout.trim();
  const r = fetchWith(url, ca);
  assert.equal(r.status, 200, `${url} → ${r.status} ${r.body}`);
  assert.equal(r.body, objs['plus+sign/a+b=c.dat'].toString());

  // A 2,000-entry "directory", listed completely (s3cmd follows the pages itself).
  await putMany(sdk, bucket);
  const many = s3cmd(['ls', `s3://${bucket}/many/`]).stdout.trim().split('\n');
  assert.equal(many.length, MANY);
  assert.match(s3cmd(['du', `s3://${bucket}`]).stdout, new RegExp(`\\s${MANY + Object.keys(objs).length} objects`));

  // setpolicy / delpolicy are accepted.
  const policy = join(work, `${label}-policy.json`);
  writeFileSync(policy, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] }));
  s3cmd(['setpolicy', policy, `s3://${bucket}`]);
  s3cmd(['delpolicy', `s3://${bucket}`]);

  s3cmd(['rm', '--recursive', '--force', `s3://${bucket}/`]);
  assert.equal(s3cmd(['ls', '--recursive', `s3://${bucket}`]).stdout.trim(), '');
  s3cmd(['rb', `s3://${bucket}`]);
}

test('internal endpoint, SigV4: the docs block `ini s3cfg`', async () => {
  await exercise(s3cmdWith(snippet('s3cmd.md', 's3cfg', env.vars), 'v4'), 'v4');
});

test('internal endpoint, Signature Version 2: the docs block `ini s3cfg-sigv2`', async () => {
  await exercise(s3cmdWith(snippet('s3cmd.md', 's3cfg-sigv2', env.vars), 'v2'), 'v2');
});

test('mb, ls, put, get, info, du, del of a 5 MiB file', () => {
  const s3cmd = s3cmdWith(snippet('s3cmd.md', 's3cfg', env.vars), 'files');
  const bucket = 's3cmd-files';
  const dir = mkdtempSync(join(work, 'files-'));
  s3cmd(['mb', `s3://${bucket}`]);
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
  assert.match(s3cmd(['info', `s3://${bucket}`]).stdout, /Location:/);
  assert.match(s3cmd(['du', `s3://${bucket}`]).stdout, new RegExp(`^\\s*${big.length + small.length}\\s+2 objects`, 'm'));

  s3cmd(['del', `s3://${bucket}/small.bin`]);
  assert.doesNotMatch(s3cmd(['ls', '--recursive', `s3://${bucket}`]).stdout, /small\.bin/);
  assert.notEqual(s3cmd(['get', `s3://${bucket}/small.bin`, join(dir, 'nothing')], true).status, 0);
  s3cmd(['del', `s3://${bucket}/dir/big file+ü.bin`]);
  s3cmd(['rb', `s3://${bucket}`]);
  assert.doesNotMatch(s3cmd(['ls']).stdout, new RegExp(`s3://${bucket}$`, 'm'));
});

test('a local tree: sync up and back, a re-sync uploads nothing, rm --recursive', () => {
  const s3cmd = s3cmdWith(snippet('s3cmd.md', 's3cfg', env.vars), 'tree');
  const bucket = 's3cmd-tree';
  const src = mkdtempSync(join(work, 'tree-src-'));
  const back = mkdtempSync(join(work, 'tree-back-'));
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
  assert.match(s3cmd(['rm', '--recursive', `s3://${bucket}/tree/`]).stdout, /delete: /);
  assert.equal(s3cmd(['ls', '--recursive', `s3://${bucket}`]).stdout.trim(), '');
  s3cmd(['rb', `s3://${bucket}`]);
});

const noHttps = httpsUnavailable();
describe('external endpoint (HTTPS)', { skip: noHttps ?? false }, () => {
  let h: HttpsEnv;
  before(async () => {
    h = await startHttps('s3cmd');
  });
  after(async () => h?.stop());
  test('HTTPS with the test CA: the docs block `ini s3cfg-https`', async () => {
    await exercise(s3cmdWith(snippet('s3cmd.md', 's3cfg-https', h.vars), 'https'), 'https', h.env.sdk, h.ca);
  });
});
