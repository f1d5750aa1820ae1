/**
 * The access log (issue 18): the real server writes one JSON line per request with its facts (operation
 * from the endpoint table, tenancy, principal, key id, bucket, key, status, error code, bytes, duration),
 * for S3 and the admin API alike, and never a secret key, signature, password or session id.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startServer, type TestServer } from '../helpers/server.js';
import { ADMIN_PASSWORD, ADMIN_USER, AdminClient, API, creds, makeActor, outcome, s3For } from '../helpers/admin.js';

let server: TestServer;
let c: S3Client;

before(async () => {
  server = await startServer({ env: { GRANARY_LOG_LEVEL: 'info' } });
});
after(async () => {
  c?.destroy();
  await server.stop();
  server.cleanup();
});

type Line = Record<string, unknown>;
const requestLines = (): Line[] =>
  server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as Line);

test('one line per request with its facts, and no secret anywhere in the output', async () => {
  const admin = AdminClient.site(server);
  await admin.createTenancy({ name: 'logged' });
  const alice = await makeActor(admin, 'log-alice', 'logged', 'MANAGER');
  c = s3For(server, creds(alice.key), { host: 'logged.s3.localhost' });
  await c.send(new CreateBucketCommand({ Bucket: 'logbkt' }));
  await c.send(new PutObjectCommand({ Bucket: 'logbkt', Key: 'dir/obj one', Body: Buffer.alloc(5000, 7) }));
  assert.equal(await outcome(c.send(new GetObjectCommand({ Bucket: 'logbkt', Key: 'missing' }))), 'NoSuchKey');
  // Path style on 127.0.0.1: the tenancy comes from the key.
  const plain = s3For(server, creds(alice.key));
  const presigned = await getSignedUrl(plain, new GetObjectCommand({ Bucket: 'logbkt', Key: 'dir/obj one' }), { expiresIn: 300 });
  plain.destroy();
  const signature = new URL(presigned).searchParams.get('X-Amz-Signature')!;
  const got = await fetch(presigned);
  assert.equal(got.status, 200);
  await got.arrayBuffer();
  // A portal sign-in: the password in the body, the session id in the answer's cookie.
  const signIn = await fetch(`${server.portalUrl}${API}/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.portalUrl },
    body: JSON.stringify({ username: ADMIN_USER, password: ADMIN_PASSWORD }),
  });
  assert.equal(signIn.status, 201);
  const session = /granary_session=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')![1]!;
  await fetch(`${server.portalUrl}${API}/session`, { headers: { cookie: `granary_session=${session}` } });
  await new Promise((r) => setTimeout(r, 200));

  const lines = requestLines();
  const put = lines.find((l) => l.operation === 'PutObject');
  assert.ok(put, 'a PutObject line');
  assert.deepEqual(
    { protocol: put.protocol, method: put.method, tenancy: put.tenancy, principal: put.principal, accessKeyId: put.accessKeyId, bucket: put.bucket, key: put.key, status: put.status },
    { protocol: 's3', method: 'PUT', tenancy: 'logged', principal: 'log-alice', accessKeyId: alice.key.accessKeyId, bucket: 'logbkt', key: 'dir/obj one', status: 200 },
  );
  assert.ok((put.bytesIn as number) >= 5000, 'bytes in count the body');
  assert.equal(typeof put.durationMs, 'number');
  assert.match(String(put.requestId), /\S/);
  const missing = lines.find((l) => l.operation === 'GetObject' && l.status === 404);
  assert.equal(missing?.errorCode, 'NoSuchKey');
  const presignedGet = lines.find((l) => l.operation === 'GetObject' && l.status === 200);
  assert.ok(presignedGet && (presignedGet.bytesOut as number) >= 5000, 'bytes out count the body');
  const login = lines.find((l) => l.protocol === 'admin' && l.operation === 'POST /session');
  assert.equal(login?.status, 201);
  assert.ok(lines.some((l) => l.operation === 'POST /tenancies' && l.principal === ADMIN_USER), 'admin API requests name their principal');
  // Every request made above is one line: no request id twice.
  assert.equal(new Set(lines.map((l) => l.requestId)).size, lines.length);

  const out = server.output();
  for (const [what, s] of [['secret key', alice.key.secretAccessKey], ['signature', signature], ['admin password', ADMIN_PASSWORD], ['user password', alice.password], ['session id', session]] as const) {
    assert.ok(!out.includes(s), `the ${what} appears in the server's output`);
  }
});
