/**
 * Bucket CORS: Put/Get/DeleteBucketCors through @aws-sdk/client-s3 (with AWS's validation errors), the
 * unauthenticated OPTIONS preflight (allowed / denied, by path and `tenancy:bucket`), and the headers on
 * actual cross-origin requests, including anonymous reads of a public bucket (browser Zarr viewers).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import {
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { sdkClient } from '../helpers/clients.js';

let server: TestServer;
let s3: S3Client;
const bucket = `cors-${process.pid}`;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const RULES = [
  {
    ID: 'viewer',
    AllowedOrigins: ['https://*.example.org'],
    AllowedMethods: ['GET', 'HEAD'],
    AllowedHeaders: ['Range', 'x-amz-*'],
    ExposeHeaders: ['ETag', 'Content-Range'],
    MaxAgeSeconds: 600,
  },
  { AllowedOrigins: ['*'], AllowedMethods: ['GET'] },
];

before(async () => {
  server = await startServer();
  s3 = sdkClient(server);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'store/.zarray', Body: '{"zarr_format":2}' }));
  await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: RULES } }));
});

after(async () => {
  await server?.stop();
  server?.cleanup();
});

test('GetBucketCors returns the rules; validation as AWS', async () => {
  const got = await s3.send(new GetBucketCorsCommand({ Bucket: bucket }));
  assert.deepEqual(got.CORSRules, [
    { ID: 'viewer', AllowedOrigins: ['https://*.example.org'], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['Range', 'x-amz-*'], ExposeHeaders: ['ETag', 'Content-Range'], MaxAgeSeconds: 600 },
    { AllowedOrigins: ['*'], AllowedMethods: ['GET'] },
  ]);
  await assert.rejects(
    s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['PATCH'] }] } })),
    (e: Error) => e.name === 'InvalidRequest' && /unsupported HTTP method/.test(e.message),
  );
  await assert.rejects(
    s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://*.*.org'], AllowedMethods: ['GET'] }] } })),
    (e: Error) => e.name === 'InvalidRequest',
  );
  await assert.rejects(
    s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: [], AllowedMethods: ['GET'] }] } })),
    (e: Error) => e.name === 'MalformedXML',
  );
  // Unchanged by the refused writes.
  assert.equal((await s3.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules!.length, 2);
});

test('DeleteBucketCors, then NoSuchCORSConfiguration', async () => {
  const other = `cors-del-${process.pid}`;
  await s3.send(new CreateBucketCommand({ Bucket: other }));
  await assert.rejects(s3.send(new GetBucketCorsCommand({ Bucket: other })), (e: Error) => e.name === 'NoSuchCORSConfiguration');
  await s3.send(new PutBucketCorsCommand({ Bucket: other, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }] } }));
  await s3.send(new DeleteBucketCorsCommand({ Bucket: other }));
  await assert.rejects(s3.send(new GetBucketCorsCommand({ Bucket: other })), (e: Error) => e.name === 'NoSuchCORSConfiguration');
  const pre = await raw('OPTIONS', `/${other}/k`, { origin: 'https://a.example.org', 'access-control-request-method': 'GET' });
  assert.equal(pre.status, 403);
  assert.match(pre.body, /CORSResponse/);
});

test('preflight allowed: the matching rule answers', async () => {
  const r = await raw('OPTIONS', `/${bucket}/store/.zarray`, {
    origin: 'https://viewer.example.org',
    'access-control-request-method': 'GET',
    'access-control-request-headers': 'Range, X-Amz-Date',
  });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers['access-control-allow-origin'], 'https://viewer.example.org');
  assert.equal(r.headers['access-control-allow-methods'], 'GET, HEAD');
  assert.equal(r.headers['access-control-allow-headers'], 'range, x-amz-date');
  assert.equal(r.headers['access-control-max-age'], '600');
  assert.equal(r.headers['access-control-expose-headers'], 'ETag, Content-Range');
  assert.match(String(r.headers.vary), /Origin/);

  // The wildcard rule: any origin may GET without extra headers.
  const any = await raw('OPTIONS', `/${bucket}/store/.zarray`, { origin: 'https://elsewhere.net', 'access-control-request-method': 'GET' });
  assert.equal(any.status, 200);
  assert.equal(any.headers['access-control-allow-origin'], '*');

  // `tenancy:bucket` names the tenancy of an unauthenticated preflight.
  const named = await raw('OPTIONS', `/default:${bucket}/store/.zarray`, { origin: 'https://elsewhere.net', 'access-control-request-method': 'GET' });
  assert.equal(named.status, 200);
});

test('preflight denied: method, header or origin not allowed', async () => {
  for (const h of <Array<Record<string, string>>>[
    { origin: 'https://viewer.example.org', 'access-control-request-method': 'PUT' },
    { origin: 'https://elsewhere.net', 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
    { origin: 'https://viewer.example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  ]) {
    const r = await raw('OPTIONS', `/${bucket}/store/.zarray`, h);
    assert.equal(r.status, 403, JSON.stringify(h));
    assert.match(r.body, /<Code>AccessForbidden<\/Code>/);
    assert.match(r.body, /CORSResponse: This CORS request is not allowed/);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  }
  const noOrigin = await raw('OPTIONS', `/${bucket}/store/.zarray`, { 'access-control-request-method': 'GET' });
  assert.equal(noOrigin.status, 400);
  const noBucket = await raw('OPTIONS', `/no-such-bucket-${process.pid}/k`, { origin: 'https://x.org', 'access-control-request-method': 'GET' });
  assert.equal(noBucket.status, 404);
});

test('actual requests with Origin: anonymous read of a public bucket gets CORS headers', async () => {
  const policy = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }],
  };
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));

  const named = await raw('GET', `/${bucket}/store/.zarray`, { origin: 'https://viewer.example.org', range: 'bytes=0-3' });
  assert.equal(named.status, 206);
  assert.equal(named.body, '{"za');
  assert.equal(named.headers['access-control-allow-origin'], 'https://viewer.example.org');
  assert.equal(named.headers['access-control-expose-headers'], 'ETag, Content-Range');
  assert.match(String(named.headers.vary), /Origin/);

  const any = await raw('GET', `/${bucket}/store/.zarray`, { origin: 'https://elsewhere.net' });
  assert.equal(any.status, 200);
  assert.equal(any.headers['access-control-allow-origin'], '*');

  // HEAD is allowed only by the first rule.
  const head = await raw('HEAD', `/${bucket}/store/.zarray`, { origin: 'https://elsewhere.net' });
  assert.equal(head.status, 200);
  assert.equal(head.headers['access-control-allow-origin'], undefined);

  // Without Origin: no CORS headers at all.
  const plain = await raw('GET', `/${bucket}/store/.zarray`);
  assert.equal(plain.headers['access-control-allow-origin'], undefined);

  // Errors carry them too, so a browser can read the error.
  const missing = await raw('GET', `/${bucket}/store/missing`, { origin: 'https://elsewhere.net' });
  assert.equal(missing.status, 404);
  assert.equal(missing.headers['access-control-allow-origin'], '*');
});
