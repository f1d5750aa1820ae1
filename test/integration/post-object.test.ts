/**
 * Browser form uploads (PostObject): boto3's generate_presigned_post (SigV4 and SigV2 forms) posted as
 * hand-built multipart/form-data with urllib (py/post_object.py), and from Node with fetch + FormData:
 * anonymous forms are refused unless a bucket policy allows public writes, quota applies.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutBucketPolicyCommand, type S3Client } from '@aws-sdk/client-s3';
import { startServer, REPO_ROOT, type TestServer } from '../helpers/server.js';
import { awsEnv, run, sdkClient } from '../helpers/clients.js';

let server: TestServer;
let s3: S3Client;

before(async () => {
  server = await startServer();
  s3 = sdkClient(server);
});
after(async () => {
  await server?.stop();
  server?.cleanup();
});

test('boto3 presigned POST forms (SigV4, SigV2) over urllib', () => {
  const r = run('python3', [join(REPO_ROOT, 'test/integration/py/post_object.py'), server.url, `post-boto3-${process.pid}`], {
    env: awsEnv(server),
    allowFailure: true,
    timeoutMs: 120_000,
  });
  assert.equal(r.status, 0, `post_object.py failed:\n${r.stdout}\n${r.stderr}\nserver:\n${server.output().slice(-3000)}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(summary.ok, true);
});

test('forms as Python users post them (requests + generate_presigned_post, conformance-suite style forms)', () => {
  const r = run('python3', [join(REPO_ROOT, 'test/integration/py/post_object_forms.py'), server.url, `post-forms-${process.pid}`], {
    env: awsEnv(server),
    allowFailure: true,
    timeoutMs: 120_000,
  });
  assert.equal(r.status, 0, `post_object_forms.py failed:\n${r.stdout}\n${r.stderr}\nserver:\n${server.output().slice(-3000)}`);
  assert.equal(JSON.parse(r.stdout.trim().split('\n').pop()!).ok, true);
});

test('a browser FormData whose `file` is a plain text field uploads it; later fields are ignored', async () => {
  const bucket = `post-text-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutBucketPolicyCommand({
    Bucket: bucket,
    Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/*` }] }),
  }));
  const f = new FormData();
  f.append('key', 'note.txt');
  f.append('Content-Type', 'text/plain');
  f.append('file', 'typed, not chosen');
  f.append('x-amz-meta-late', 'ignored');
  const r = await fetch(`${server.url}/${bucket}`, { method: 'POST', body: f });
  assert.equal(r.status, 204, await r.text());
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'note.txt' }));
  assert.equal(await got.Body!.transformToString(), 'typed, not chosen');
  assert.equal(got.ContentType, 'text/plain');
  assert.deepEqual(got.Metadata, {});
});

test('anonymous form upload: refused by default, allowed by a public-write bucket policy', async () => {
  const bucket = `post-anon-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const form = (): FormData => {
    const f = new FormData();
    f.append('key', 'drop/${filename}');
    f.append('Content-Type', 'application/json');
    f.append('file', new Blob(['{"a":1}']), 'data.json');
    return f;
  };
  const denied = await fetch(`${server.url}/${bucket}`, { method: 'POST', body: form() });
  assert.equal(denied.status, 403);
  assert.match(await denied.text(), /<Code>AccessDenied<\/Code>/);

  const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/drop/*` }],
  };
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
  const ok = await fetch(`${server.url}/${bucket}`, { method: 'POST', body: form() });
  assert.equal(ok.status, 204, await ok.text());
  assert.match(ok.headers.get('location') ?? '', new RegExp(`/${bucket}/drop/data\\.json$`));
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'drop/data.json' }));
  assert.equal(got.ContentType, 'application/json');
  assert.equal(await got.Body!.transformToString(), '{"a":1}');

  // The policy allows drop/* only: the key from the form is what is authorized.
  const outside = new FormData();
  outside.append('key', 'elsewhere.json');
  outside.append('file', new Blob(['x']), 'x');
  assert.equal((await fetch(`${server.url}/${bucket}`, { method: 'POST', body: outside })).status, 403);
});

test('malformed forms', async () => {
  const bucket = `post-bad-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const noFile = new FormData();
  noFile.append('key', 'k');
  const r1 = await fetch(`${server.url}/${bucket}`, { method: 'POST', body: noFile });
  assert.equal(r1.status, 400);
  assert.match(await r1.text(), /IncorrectNumberOfFilesInPostRequest/);
  const r2 = await fetch(`${server.url}/${bucket}`, { method: 'POST', body: 'not a form', headers: { 'content-type': 'text/plain' } });
  assert.equal(r2.status, 400);
  assert.match(await r2.text(), /MalformedPOSTRequest/);
  const noKey = new FormData();
  noKey.append('file', new Blob(['x']), 'x');
  const r3 = await fetch(`${server.url}/${bucket}`, { method: 'POST', body: noKey });
  assert.equal(r3.status, 400);
  assert.match(await r3.text(), /InvalidArgument/);
});
