/**
 * The AWS CLI v1 (`aws`, first on PATH) and v2 (`/usr/bin/aws`, Debian), configured with the blocks of
 * docs/clients/aws-cli.md: `s3` (mb, cp --recursive, ls, sync, presign, rm --recursive, rb) and `s3api`
 * (list-objects-v2 over a 2,000-entry "directory", put/get-bucket-policy, a multipart upload by hand),
 * with awkward keys.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../helpers/clients.js';
import { sha256, treeHashes, writeTree } from '../helpers/tree.js';
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
