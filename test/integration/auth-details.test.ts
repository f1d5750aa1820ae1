/**
 * Authentication details (issue 16 §4) with the clients that show them: presigned URL lifetimes out of range
 * (boto3 generate_presigned_url), Signature Version 2 with s3cmd (`signature_v2 = True`) and boto3
 * (`signature_version='s3'`), UTF-8 metadata values signed as sent (s3cmd, V2 and V4), dates before the
 * epoch, an `Expect` header other than 100-continue, and `x-amz-expected-bucket-owner` on bucket and object
 * operations (@aws-sdk/client-s3, aws cli).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketAclCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { awsEnv, run, sdkClient } from '../helpers/clients.js';
import { outcome } from '../helpers/admin.js';
import { signHeaders } from '../helpers/sign.js';

let server: TestServer;
let s3: S3Client;
let work: string;

before(async () => {
  server = await startServer();
  s3 = sdkClient(server);
  work = mkdtempSync(join(tmpdir(), 'granary-auth-'));
});
after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

function raw(method: string, target: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, method, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (xml: string): string | undefined => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

test('presigned URLs: a lifetime of 0, below 0 or over 604800 s is 403 AuthorizationQueryParametersError; an expired one 403 AccessDenied', async () => {
  const bucket = `auth-presign-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'o', Body: 'object' }));
  const py = `
import boto3, json, sys
from botocore.config import Config
s3 = boto3.client('s3', region_name='us-east-1', config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
print(json.dumps({str(e): s3.generate_presigned_url('get_object', Params={'Bucket': sys.argv[1], 'Key': 'o'}, ExpiresIn=e) for e in (0, -1, 604801, 604800, 1)}))
`;
  const urls = JSON.parse(run('python3', ['-c', py, bucket], { env: awsEnv(server) }).stdout) as Record<string, string>;
  for (const e of ['0', '-1', '604801']) {
    assert.match(urls[e]!, new RegExp(`X-Amz-Expires=${e}(&|$)`));
    const r = await fetch(urls[e]!);
    const text = await r.text();
    assert.equal(r.status, 403, `X-Amz-Expires=${e}: ${text}`);
    assert.equal(codeOf(text), 'AuthorizationQueryParametersError', text);
  }
  assert.equal(await (await fetch(urls['604800']!)).text(), 'object');
  await new Promise((r) => setTimeout(r, 2100));
  const late = await fetch(urls['1']!);
  const text = await late.text();
  assert.equal(late.status, 403);
  assert.equal(codeOf(text), 'AccessDenied');
  assert.match(text, /<Message>Request has expired<\/Message>/);
});

function s3cmdConfig(v2: boolean): string {
  const cfg = join(work, `s3cfg-${v2 ? 'v2' : 'v4'}`);
  writeFileSync(cfg, [`access_key = ${server.accessKey}`, `secret_key = ${server.secretKey}`, `host_base = ${server.endpoint}`, `host_bucket = ${server.endpoint}`, 'use_https = False', `signature_v2 = ${v2 ? 'True' : 'False'}`, ''].join('\n'));
  return cfg;
}

test('s3cmd (Signature V2 and V4): a UTF-8 x-amz-meta-* value is signed as sent and stored as sent', async () => {
  const file = join(work, 'utf8.txt');
  writeFileSync(file, 'contenu\n');
  for (const v2 of [true, false]) {
    const cfg = s3cmdConfig(v2);
    const s3cmd = (args: string[]) => run('s3cmd', ['-c', cfg, '--no-progress', ...args], { timeoutMs: 60_000, env: { ...process.env, HOME: work } });
    const bucket = `auth-utf8-${v2 ? 'v2' : 'v4'}-${process.pid}`;
    s3cmd(['mb', `s3://${bucket}`]);
    s3cmd(['put', '--add-header=x-amz-meta-titre:café ☕ été', file, `s3://${bucket}/utf8.txt`]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'utf8.txt' }));
    // HTTP carries the bytes; the SDK reads them as Latin-1 characters.
    assert.equal(Buffer.from(head.Metadata?.titre ?? '', 'latin1').toString('utf8'), 'café ☕ été', `signature_v2=${v2}`);
    // s3cmd prints the header as Python read it (Latin-1): the same bytes.
    const line = /x-amz-meta-titre:\s*(.*)/.exec(s3cmd(['info', `s3://${bucket}/utf8.txt`]).stdout)?.[1] ?? '';
    assert.equal(Buffer.from(line, 'latin1').toString('utf8'), 'café ☕ été');
  }
});

test('boto3 with Signature V2 (signature_version="s3"): bucket operations path-style, objects, listing', () => {
  const py = `
import boto3, sys
from botocore.config import Config
s3 = boto3.client('s3', region_name='us-east-1', config=Config(signature_version='s3', s3={'addressing_style': 'path'}))
b = sys.argv[1]
s3.create_bucket(Bucket=b)
s3.put_object(Bucket=b, Key='dir/a b.txt', Body=b'v2')
assert s3.get_object(Bucket=b, Key='dir/a b.txt')['Body'].read() == b'v2'
assert [o['Key'] for o in s3.list_objects_v2(Bucket=b)['Contents']] == ['dir/a b.txt']
s3.get_bucket_acl(Bucket=b)
s3.head_bucket(Bucket=b)
s3.delete_object(Bucket=b, Key='dir/a b.txt')
s3.delete_bucket(Bucket=b)
print('ok')
`;
  const r = run('python3', ['-c', py, `auth-botov2-${process.pid}`], { env: awsEnv(server), allowFailure: true });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
});

function signV2(method: string, path: string, date: string | undefined): Record<string, string> {
  const sts = [method, '', '', date ?? '', path].join('\n');
  const sig = createHmac('sha1', server.secretKey).update(sts).digest('base64');
  return { host: server.endpoint, authorization: `AWS ${server.accessKey}:${sig}`, ...(date === undefined ? {} : { date }) };
}

test('Signature V2: a date before the epoch or none at all is 403 AccessDenied; an old one RequestTimeTooSkewed', async () => {
  const bucket = `auth-v2date-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const [date, code] of [
    ['Tue, 07 Jul 1950 21:53:04 GMT', 'AccessDenied'],
    [undefined, 'AccessDenied'],
    ['', 'AccessDenied'],
    ['not a date', 'AccessDenied'],
    ['Tue, 07 Jul 2010 21:53:04 GMT', 'RequestTimeTooSkewed'],
  ] as const) {
    const r = await raw('PUT', `/${bucket}/k`, signV2('PUT', `/${bucket}/k`, date), 'x');
    assert.equal(r.status, 403, `${date}: ${r.body}`);
    assert.equal(codeOf(r.body), code, `${date}: ${r.body}`);
  }
  const ok = await raw('PUT', `/${bucket}/k`, signV2('PUT', `/${bucket}/k`, new Date().toUTCString()), 'x');
  assert.equal(ok.status, 200, ok.body);
});

test('Signature V4: an x-amz-date before the epoch is 403 AccessDenied', async () => {
  const bucket = `auth-v4date-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const signed = signHeaders({ method: 'GET', path: `/${bucket}`, host: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey, date: new Date('1950-07-07T21:53:04Z') });
  const r = await raw('GET', signed.target, signed.headers);
  assert.equal(r.status, 403, r.body);
  assert.equal(codeOf(r.body), 'AccessDenied', r.body);
});

test('an Expect header other than 100-continue is ignored (not 417)', async () => {
  const bucket = `auth-expect-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  for (const expect of ['200-ok', 'something-else']) {
    const put = signHeaders({ method: 'PUT', path: `/${bucket}/e`, host: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey, headers: { expect } });
    const r = await raw('PUT', put.target, { ...put.headers, 'content-length': '5' }, 'hello');
    assert.equal(r.status, 200, `Expect: ${expect}: ${r.status} ${r.body}`);
    const get = signHeaders({ method: 'GET', path: `/${bucket}/e`, host: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey, headers: { expect } });
    assert.deepEqual(await raw('GET', get.target, get.headers), { status: 200, body: 'hello' });
  }
});

test('x-amz-expected-bucket-owner: the owner ID the ACL shows passes, another is 403 on every bucket and object operation', async () => {
  const bucket = `auth-owner-${process.pid}`;
  const dest = `auth-owner-dest-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: dest }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'o', Body: 'o' }));
  const owner = (await s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Owner!.ID!;
  const other = 'some-other-owner';
  const ops = (e: string) => [
    new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: e }),
    new ListObjectsV2Command({ Bucket: bucket, ExpectedBucketOwner: e }),
    new GetBucketAclCommand({ Bucket: bucket, ExpectedBucketOwner: e }),
    new PutObjectCommand({ Bucket: bucket, Key: 'p', Body: 'p', ExpectedBucketOwner: e }),
    new GetObjectCommand({ Bucket: bucket, Key: 'o', ExpectedBucketOwner: e }),
    new HeadObjectCommand({ Bucket: bucket, Key: 'o', ExpectedBucketOwner: e }),
    new PutObjectTaggingCommand({ Bucket: bucket, Key: 'o', Tagging: { TagSet: [] }, ExpectedBucketOwner: e }),
    new CopyObjectCommand({ Bucket: dest, Key: 'c', CopySource: `${bucket}/o`, ExpectedBucketOwner: e }),
    new DeleteObjectCommand({ Bucket: bucket, Key: 'p', ExpectedBucketOwner: e }),
  ];
  for (const cmd of ops(other)) {
    const status = await s3.send(cmd as never).then(
      () => 200,
      (e: { $metadata?: { httpStatusCode?: number }; Code?: string }) => (e.Code === undefined || e.Code === 'AccessDenied' ? e.$metadata?.httpStatusCode : e.Code),
    );
    assert.equal(status, 403, `${cmd.constructor.name} with another owner`);
  }
  assert.equal(await outcome(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'p' }))), 'NotFound', 'the refused PutObject wrote nothing');
  for (const cmd of ops(owner)) assert.equal(await outcome(s3.send(cmd as never)), 'OK', cmd.constructor.name);
  // The copy's source bucket has its own header (ExpectedSourceBucketOwner).
  assert.equal(await outcome(s3.send(new CopyObjectCommand({ Bucket: dest, Key: 'c2', CopySource: `${bucket}/o`, ExpectedSourceBucketOwner: other }))), 'AccessDenied');
  assert.equal(await outcome(s3.send(new CopyObjectCommand({ Bucket: dest, Key: 'c2', CopySource: `${bucket}/o`, ExpectedSourceBucketOwner: owner, ExpectedBucketOwner: owner }))), 'OK');
  // And the aws cli, as users write it.
  const aws = (args: string[]) => run('aws', ['--endpoint-url', server.url, 's3api', ...args], { env: awsEnv(server), allowFailure: true });
  assert.equal(aws(['head-bucket', '--bucket', bucket, '--expected-bucket-owner', owner]).status, 0);
  const refused = aws(['get-object', '--bucket', bucket, '--key', 'o', '--expected-bucket-owner', other, join(work, 'o.out')]);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /AccessDenied|Forbidden|403/);
});
