/**
 * The AWS CLI v1 (`aws`, first on PATH) and v2 (`/usr/bin/aws`, Debian), the one AWS CLI suite, configured
 * with the blocks of docs/clients/aws-cli.md: `s3` (mb, cp --recursive, ls, sync, presign, rm --recursive,
 * rb) and `s3api` (list-objects-v2 over a 2,000-entry "directory", put/get-bucket-policy, a multipart upload
 * by hand), with awkward keys, over HTTP and HTTPS. Then, per CLI on the internal endpoint: cp of a 5 MiB
 * file up and down, ls output, s3api head-object (ETag, 404), presign with and without s3v4, and a local
 * tree (empty file, deep nesting) synced, re-synced (nothing, then only the changed file) and back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../helpers/clients.js';
import { awkwardTree, sha256, treeHashes, writeTree } from '../helpers/tree.js';
import { awkwardObjects, compatEnv, have, httpsUnavailable, MANY, putMany, snippet, type CompatEnv } from '../helpers/compat.js';
import { fetchWith, startHttps, type HttpsEnv } from './https.js';

let env: CompatEnv;
let work: string;
before(async () => {
  env = await compatEnv('awscli');
  work = mkdtempSync(join(tmpdir(), 'granary-compat-aws-'));
});
after(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The `export NAME=value` lines of the aws-env block, as an environment. */
function exportsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z_]+)=(\S+)\s*$/gm)) out[m[1]] = m[2];
  return out;
}

function awsWith(bin: string, vars: Record<string, string>, label: string, extraEnv: Record<string, string> = {}) {
  const exported = exportsOf(snippet('aws-cli.md', 'aws-env', vars));
  const config = join(work, `${label}.config`);
  writeFileSync(config, snippet('aws-cli.md', 'aws-config', vars));
  const base = { ...process.env, HOME: work, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: '/dev/null', ...exported, ...extraEnv };
  // An older CLI ignores AWS_ENDPOINT_URL: give it --endpoint-url, as the page says.
  const endpointArgs = ['--endpoint-url', exported.AWS_ENDPOINT_URL];
  return (args: string[], allowFailure = false) => run(bin, [...endpointArgs, ...args], { allowFailure, timeoutMs: 240_000, env: base });
}

async function exercise(aws: ReturnType<typeof awsWith>, label: string, sdk = env.sdk, ca?: string): Promise<void> {
  const bucket = `aws-${label}`;
  aws(['s3', 'mb', `s3://${bucket}`]);
  const src = join(work, `${label}-src`);
  const back = join(work, `${label}-back`);
  const objs = awkwardObjects();
  writeTree(src, objs);
  aws(['s3', 'cp', '--recursive', '--only-show-errors', src, `s3://${bucket}/awk/`]);
  const ls = aws(['s3', 'ls', '--recursive', `s3://${bucket}/awk/`]).stdout.trim().split('\n');
  assert.deepEqual(ls.map((l) => l.replace(/^\S+\s+\S+\s+\d+\s+awk\//, '')).sort(), Object.keys(objs).sort());
  aws(['s3', 'sync', '--only-show-errors', `s3://${bucket}/awk/`, back]);
  assert.deepEqual(treeHashes(back), treeHashes(src));

  // s3api: list-objects-v2 pages through 2,000 entries by itself.
  await putMany(sdk, bucket);
  const listed = JSON.parse(aws(['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'many/', '--output', 'json']).stdout) as { Contents: { Key: string }[] };
  assert.equal(listed.Contents.length, MANY);
  const delim = JSON.parse(aws(['s3api', 'list-objects-v2', '--bucket', bucket, '--delimiter', '/', '--prefix', 'awk/', '--output', 'json']).stdout) as { CommonPrefixes: { Prefix: string }[]; Contents?: { Key: string }[] };
  assert.deepEqual(delim.CommonPrefixes.map((p) => p.Prefix).sort(), ['awk/amp&ersand/', 'awk/dir with space/', 'awk/long/', 'awk/plus+sign/', 'awk/ünïcödé/'].sort());
  assert.deepEqual(delim.Contents?.map((c) => c.Key), ['awk/literal%2Fslash.txt']);

  // presign: fetch without credentials.
  const key = 'awk/ünïcödé/日本語 ファイル.txt';
  const url = aws(['s3', 'presign', `s3://${bucket}/${key}`, '--expires-in', '600']).stdout.trim();
  const got = fetchWith(url, ca).body;
  assert.equal(got, objs['ünïcödé/日本語 ファイル.txt'].toString());

  // Bucket policy round trip.
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] };
  aws(['s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', JSON.stringify(policy)]);
  const back2 = JSON.parse(JSON.parse(aws(['s3api', 'get-bucket-policy', '--bucket', bucket, '--output', 'json']).stdout).Policy);
  assert.equal(back2.Statement[0].Action, 's3:GetObject');

  // A multipart upload by hand, with an awkward key.
  const mkey = 'multi part/a+b&c.bin';
  const part1 = randomBytes(5 * 1024 * 1024);
  const part2 = randomBytes(1000);
  writeFileSync(join(work, `${label}-p1`), part1);
  writeFileSync(join(work, `${label}-p2`), part2);
  const { UploadId } = JSON.parse(aws(['s3api', 'create-multipart-upload', '--bucket', bucket, '--key', mkey, '--output', 'json']).stdout);
  const etags = [1, 2].map((n) => JSON.parse(aws(['s3api', 'upload-part', '--bucket', bucket, '--key', mkey, '--upload-id', UploadId, '--part-number', String(n), '--body', join(work, `${label}-p${n}`), '--output', 'json']).stdout).ETag as string);
  const parts = JSON.stringify({ Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) });
  aws(['s3api', 'complete-multipart-upload', '--bucket', bucket, '--key', mkey, '--upload-id', UploadId, '--multipart-upload', parts]);
  aws(['s3', 'cp', '--only-show-errors', `s3://${bucket}/${mkey}`, join(work, `${label}-mp`)]);
  assert.equal(sha256(readFileSync(join(work, `${label}-mp`))), sha256(Buffer.concat([part1, part2])));

  aws(['s3', 'rm', '--recursive', '--only-show-errors', `s3://${bucket}/`]);
  assert.equal(aws(['s3', 'ls', '--recursive', `s3://${bucket}/`], true).stdout.trim(), '');
  aws(['s3', 'rb', `s3://${bucket}`]);
}

const clis: [string, string][] = [['v1', 'aws'], ['v2', '/usr/bin/aws']];
for (const [ver, bin] of clis) {
  const missing = bin.startsWith('/') ? !existsSync(bin) : !have(bin);
  test(`AWS CLI ${ver} (${bin}), internal endpoint`, { skip: missing ? `${bin} is not installed` : false }, async () => {
    await exercise(awsWith(bin, env.vars, `${ver}-http`), `${ver}-http`);
  });
}

const TREE = awkwardTree();

// v1 and v2 run side by side (each CLI call is mostly Python start-up time).
describe('AWS CLI, everyday commands', { concurrency: true }, () => {
  for (const [label, bin] of clis) {
    const missing = bin.startsWith('/') ? !existsSync(bin) : !have(bin);
    describe(`AWS CLI ${label}`, { skip: missing ? `${bin} is not installed` : false }, () => {
      const aws = (args: string[], allowFailure = false) => awsWith(bin, env.vars, `${label}-everyday`)(args, allowFailure);

      test('mb, cp up/down, ls, s3api, presign, rm --recursive', async () => {
        const bucket = `cli-${label}`;
        const dir = mkdtempSync(join(work, `${label}-cp-`));
        aws(['s3', 'mb', `s3://${bucket}`]);
        const small = randomBytes(1234);
        const big = randomBytes(5 * 1024 * 1024);
        writeFileSync(join(dir, 'small.bin'), small);
        writeFileSync(join(dir, 'big file.bin'), big);
        aws(['s3', 'cp', join(dir, 'small.bin'), `s3://${bucket}/up/small.bin`]);
        aws(['s3', 'cp', join(dir, 'big file.bin'), `s3://${bucket}/up/big file ü.bin`]);
        aws(['s3', 'cp', `s3://${bucket}/up/small.bin`, join(dir, 'small.back')]);
        aws(['s3', 'cp', `s3://${bucket}/up/big file ü.bin`, join(dir, 'big.back')]);
        assert.equal(sha256(readFileSync(join(dir, 'small.back'))), sha256(small));
        assert.equal(sha256(readFileSync(join(dir, 'big.back'))), sha256(big));

        assert.match(aws(['s3', 'ls']).stdout, new RegExp(`\\s${bucket}$`, 'm'));
        assert.match(aws(['s3', 'ls', `s3://${bucket}/`]).stdout, /PRE up\//);
        const ls = aws(['s3', 'ls', `s3://${bucket}/up/`]).stdout;
        assert.match(ls, /\s1234 small\.bin$/m);
        assert.match(ls, new RegExp(`\\s${big.length} big file ü\\.bin$`, 'm'));
        assert.equal(aws(['s3', 'ls', '--recursive', `s3://${bucket}`]).stdout.trim().split('\n').length, 2);

        const lo = JSON.parse(aws(['s3api', 'list-objects-v2', '--no-paginate', '--bucket', bucket, '--prefix', 'up/', '--output', 'json']).stdout);
        assert.deepEqual(lo.Contents.map((c: { Key: string }) => c.Key), ['up/big file ü.bin', 'up/small.bin']);
        assert.equal(lo.KeyCount, 2);
        const head = JSON.parse(aws(['s3api', 'head-object', '--bucket', bucket, '--key', 'up/big file ü.bin', '--output', 'json']).stdout);
        assert.equal(head.ContentLength, big.length);
        assert.equal(head.ETag, `"${createHash('md5').update(big).digest('hex')}"`);
        const missingKey = aws(['s3api', 'head-object', '--bucket', bucket, '--key', 'nope'], true);
        assert.notEqual(missingKey.status, 0);
        assert.match(missingKey.stderr, /404|Not Found/);

        // Configured for s3v4, CLI v1 presigns with SigV4 too (by default it uses SigV2: the next test).
        const s3v4 = join(work, `${label}-s3v4.config`);
        writeFileSync(s3v4, snippet('aws-cli.md', 'aws-config', env.vars) + '    signature_version = s3v4\n');
        const url = awsWith(bin, env.vars, `${label}-presign`, { AWS_CONFIG_FILE: s3v4 })(['s3', 'presign', `s3://${bucket}/up/big file ü.bin`, '--expires-in', '300']).stdout.trim();
        assert.match(url, /X-Amz-Signature=/);
        const r = await fetch(url);
        assert.equal(r.status, 200, url);
        assert.equal(sha256(Buffer.from(await r.arrayBuffer())), sha256(big));

        assert.match(aws(['s3', 'rm', '--recursive', `s3://${bucket}/`]).stdout, /delete: s3:\/\/.*small\.bin/);
        assert.equal(aws(['s3', 'ls', '--recursive', `s3://${bucket}`], true).stdout.trim(), '');
        aws(['s3', 'rb', `s3://${bucket}`]);
        assert.doesNotMatch(aws(['s3', 'ls']).stdout, new RegExp(`\\s${bucket}$`, 'm'));
      });

      test('s3 presign with the configuration of the docs', async () => {
        const bucket = `cli-presign-${label}`;
        aws(['s3', 'mb', `s3://${bucket}`]);
        const file = join(mkdtempSync(join(work, `${label}-presign-`)), 'f.txt');
        writeFileSync(file, 'presigned');
        aws(['s3', 'cp', file, `s3://${bucket}/f.txt`]);
        const url = aws(['s3', 'presign', `s3://${bucket}/f.txt`]).stdout.trim();
        const r = await fetch(url);
        const text = await r.text();
        aws(['s3', 'rb', '--force', `s3://${bucket}`]);
        assert.equal(r.status, 200, `${url}\n${text}`);
        assert.equal(text, 'presigned');
      });

      test('sync a local tree, re-sync uploads nothing, then only a changed file; sync back', () => {
        const bucket = `cli-sync-${label}`;
        const src = mkdtempSync(join(work, `${label}-tree-src-`));
        const back = mkdtempSync(join(work, `${label}-tree-back-`));
        writeTree(src, TREE);
        aws(['s3', 'mb', `s3://${bucket}`]);
        const first = aws(['s3', 'sync', src, `s3://${bucket}/tree`]).stdout;
        assert.equal((first.match(/^upload:/gm) ?? []).length, Object.keys(TREE).length, first);
        const again = aws(['s3', 'sync', src, `s3://${bucket}/tree`]).stdout;
        assert.equal(again.trim(), '', `second sync re-uploaded:\n${again}`);
        const listed = JSON.parse(aws(['s3api', 'list-objects-v2', '--bucket', bucket, '--output', 'json']).stdout);
        assert.deepEqual(
          listed.Contents.map((c: { Key: string }) => c.Key).sort(),
          Object.keys(TREE).map((k) => `tree/${k}`).sort(),
        );
        aws(['s3', 'sync', `s3://${bucket}/tree`, back]);
        assert.deepEqual(treeHashes(back), treeHashes(src));

        writeFileSync(join(src, 'plain.txt'), 'changed content, longer\n');
        const third = aws(['s3', 'sync', src, `s3://${bucket}/tree`]).stdout.trim().split('\n');
        assert.equal(third.length, 1, third.join('\n'));
        assert.match(third[0]!, /upload: .*plain\.txt/);

        aws(['s3', 'rm', '--recursive', `s3://${bucket}/tree`]);
        assert.equal(JSON.parse(aws(['s3api', 'list-objects-v2', '--bucket', bucket, '--output', 'json']).stdout || '{}').KeyCount ?? 0, 0);
        aws(['s3', 'rb', `s3://${bucket}`]);
      });
    });
  }
});

const noHttps = httpsUnavailable();
describe('external endpoint (HTTPS)', { skip: noHttps ?? false }, () => {
  let h: HttpsEnv;
  before(async () => {
    h = await startHttps('awscli');
  });
  after(async () => h?.stop());
  // One CLI over HTTPS keeps the suite near its time budget (both share botocore's TLS code).
  for (const [ver, bin] of clis.slice(1)) {
    test(`AWS CLI ${ver} over HTTPS with AWS_CA_BUNDLE`, async () => {
      const vars = { ...h.vars, EP: h.vars.EXT_EP };
      const aws = awsWith(bin, vars, `${ver}-https`, { AWS_CA_BUNDLE: h.ca });
      // The page says https://$EXT_EP for the external endpoint.
      const https = (args: string[], allowFailure = false) => aws(['--endpoint-url', h.url, ...args], allowFailure);
      await exercise(https, `${ver}-https`, h.env.sdk, h.ca);
    });
  }
});
