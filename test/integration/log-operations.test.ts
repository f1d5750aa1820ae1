/**
 * Log operations (issue 22): the server's logs go to a file named by `--log-destination`, SIGHUP reopens
 * it (logrotate's `postrotate`), and over a real server's whole life — start-up, a broad workload, shutdown —
 * nothing it writes (log file, stdout, stderr) holds a secret the test used: passwords (right and wrong),
 * secret keys (bootstrap, created through the portal), SigV4 and SigV2 signatures (headers and presigned
 * URLs), portal session ids and CSRF tokens, share-link signatures.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startServer, type TestServer } from '../helpers/server.js';
import { ADMIN_PASSWORD, API, AdminClient, creds, makeActor, rawRequest, s3For } from '../helpers/admin.js';
import { until } from '../helpers/until.js';

type Line = Record<string, unknown>;
const linesOf = (file: string): Line[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Line)
    : [];

describe('log file and SIGHUP', () => {
  let server: TestServer;
  let dir: string;
  let c: S3Client;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'granary-logs-'));
    server = await startServer({ args: ['--log-destination', join(dir, 'granary.log'), '--log-level', 'info'] });
    c = s3For(server, { accessKeyId: server.accessKey, secretAccessKey: server.secretKey });
  });
  after(async () => {
    c.destroy();
    await server.stop();
    server.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('lines go to the file, not stderr; after a rename and SIGHUP they go to a new file', async () => {
    const log = join(dir, 'granary.log');
    const rotated = join(dir, 'granary.log.1');
    const bucket = `rot-${process.pid}`;
    await c.send(new CreateBucketCommand({ Bucket: bucket }));
    const put = (key: string) => c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
    const hasKey = (file: string, key: string) => linesOf(file).some((l) => l.msg === 'request' && l.key === key);
    await put('before-rotation');
    await until('the first request line', () => hasKey(log, 'before-rotation'));
    assert.ok(linesOf(log).some((l) => l.msg === 'granary listening'), 'the process log shares the file');
    assert.ok(!server.output().includes('"msg":"request"'), 'nothing logged to stderr');

    // logrotate: rename, then postrotate sends SIGHUP. Until the signal the server writes to the moved file.
    renameSync(log, rotated);
    await put('after-rename');
    await until('the line in the moved file', () => hasKey(rotated, 'after-rename'));
    assert.ok(!existsSync(log));
    server.proc.kill('SIGHUP');
    await until('the reopened file', () => linesOf(log).some((l) => l.msg === 'log file reopened'));
    await put('after-sighup');
    await until('the line in the new file', () => hasKey(log, 'after-sighup'));
    assert.ok(!hasKey(rotated, 'after-sighup'), 'the old file gets no new lines');
    assert.ok(!hasKey(log, 'after-rename') && !hasKey(log, 'before-rotation'));
    // SIGHUP also re-reads TLS files (none here): the server is still up and answering.
    assert.equal(server.proc.exitCode, null);
  });
});

describe('no secret in the logs of a server’s life', () => {
  let server: TestServer;
  let dir: string;
  const clients: S3Client[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'granary-logs-'));
    // debug: the most the server ever writes.
    server = await startServer({ args: ['--log-destination', join(dir, 'granary.log'), '--log-level', 'debug'] });
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await server.stop();
    server.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a broad workload, then every secret it used is searched for in everything the server wrote', async () => {
    const secrets: Array<[string, string]> = [
      ['admin password', ADMIN_PASSWORD],
      ['bootstrap secret key', server.secretKey],
    ];
    const admin = AdminClient.site(server);
    const tenancy = `logs${process.pid}`.slice(0, 20);
    await admin.createTenancy({ name: tenancy });
    const alice = await makeActor(admin, `log-alice-${process.pid}`, tenancy, 'MANAGER');
    secrets.push(['user password', alice.password], ['key secret (admin API)', alice.key.secretAccessKey]);

    // The portal: a wrong password, a sign-in, a key made there, a share link.
    const portal = server.portalUrl;
    const wrong = 'wrong-password-Zq8vX2';
    const bad = await fetch(`${portal}${API}/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: portal }, body: JSON.stringify({ username: alice.username, password: wrong }) });
    assert.equal(bad.status, 401);
    secrets.push(['wrong password', wrong]);
    const signIn = await fetch(`${portal}${API}/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: portal }, body: JSON.stringify({ username: alice.username, password: alice.password }) });
    assert.equal(signIn.status, 201);
    const session = /granary_session=([^;]+)/.exec(signIn.headers.get('set-cookie') ?? '')![1]!;
    const csrf = ((await signIn.json()) as { csrfToken: string }).csrfToken;
    secrets.push(['session id', session], ['CSRF token', csrf]);
    const asPortal = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const r = await fetch(`${portal}${API}${path}`, {
        method,
        headers: { cookie: `granary_session=${session}`, 'x-csrf-token': csrf, origin: portal, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await r.text();
      assert.ok(r.ok, `${method} ${path} → ${r.status} ${text}`);
      return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    };
    // Key management asks for the password again (elevation).
    await asPortal('POST', '/session/elevate', { password: alice.password });
    const made = (await asPortal('POST', '/me/keys', { tenancy, name: 'made-in-portal', expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString() })) as { accessKeyId: string; secretAccessKey: string };
    secrets.push(['key secret (portal)', made.secretAccessKey]);

    // SigV4 (headers) with the portal-made key, catching every Authorization header the SDK sends.
    const c = s3For(server, creds(made as never));
    clients.push(c);
    const sigs: string[] = [];
    c.middlewareStack.add(
      (next) => async (args) => {
        const auth = (args.request as { headers: Record<string, string> }).headers.authorization;
        if (auth) sigs.push(/Signature=([0-9a-f]+)/.exec(auth)![1]!);
        return next(args);
      },
      { step: 'deserialize' },
    );
    const bucket = `logs-${process.pid}`;
    await c.send(new CreateBucketCommand({ Bucket: bucket }));
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'data/a.txt', Body: 'hello' }));
    await c.send(new GetObjectCommand({ Bucket: bucket, Key: 'data/a.txt' })).then((r) => r.Body!.transformToString());
    await c.send(new ListObjectsV2Command({ Bucket: bucket }));
    assert.ok(sigs.length >= 4);
    for (const s of sigs) secrets.push(['SigV4 header signature', s]);

    // A request signed with a wrong secret (SignatureDoesNotMatch): neither its signature nor the right one.
    const forged = s3For(server, { accessKeyId: made.accessKeyId, secretAccessKey: 'not-the-secret-0123456789abcdef' });
    clients.push(forged);
    await assert.rejects(forged.send(new GetObjectCommand({ Bucket: bucket, Key: 'data/a.txt' })), /signature/i);

    // SigV4 presigned URL.
    const presigned = await getSignedUrl(c, new GetObjectCommand({ Bucket: bucket, Key: 'data/a.txt' }), { expiresIn: 300 });
    secrets.push(['SigV4 presigned signature', new URL(presigned).searchParams.get('X-Amz-Signature')!]);
    assert.equal((await fetch(presigned)).status, 200);

    // SigV2: an Authorization header and a presigned (query) URL, signed with the bootstrap key.
    const v2 = (sts: string) => createHmac('sha1', server.secretKey).update(sts).digest('base64');
    const date = new Date().toUTCString();
    const v2sig = v2(['PUT', '', 'text/plain', date, `/${bucket}/data/v2.txt`].join('\n'));
    // The bootstrap key's tenancy is `default`: its own bucket.
    const boot = s3For(server, { accessKeyId: server.accessKey, secretAccessKey: server.secretKey });
    clients.push(boot);
    await boot.send(new CreateBucketCommand({ Bucket: bucket }));
    const putV2 = await rawRequest(server, 'PUT', `/${bucket}/data/v2.txt`, { headers: { date, 'content-type': 'text/plain', authorization: `AWS ${server.accessKey}:${v2sig}` }, body: 'v2 body' });
    assert.equal(putV2.status, 200, putV2.body);
    const expires = Math.floor(Date.now() / 1000) + 300;
    const qsig = v2(['GET', '', '', String(expires), `/${bucket}/data/v2.txt`].join('\n'));
    const getV2 = await fetch(`${server.url}/${bucket}/data/v2.txt?AWSAccessKeyId=${server.accessKey}&Expires=${expires}&Signature=${encodeURIComponent(qsig)}`);
    assert.equal(getV2.status, 200);
    assert.equal(await getV2.text(), 'v2 body');
    secrets.push(['SigV2 header signature', v2sig], ['SigV2 query signature', qsig], ['SigV2 query signature (URL-encoded)', encodeURIComponent(qsig)]);

    // A share link from the portal (signed with the user's portal key, whose secret never leaves the server).
    const share = (await asPortal('POST', `/tenancies/${tenancy}/presign`, { method: 'GET', bucket, key: 'data/a.txt', expiresIn: 3600 })) as { url: string };
    const shareSig = new URL(share.url).searchParams.get('X-Amz-Signature')!;
    secrets.push(['share-link signature', shareSig]);
    const shared = await fetch(share.url);
    assert.equal(shared.status, 200);
    await asPortal('DELETE', '/session');

    await server.stop();
    const file = readFileSync(join(dir, 'granary.log'), 'utf8');
    const lines = linesOf(join(dir, 'granary.log'));
    // The log did record this life: start, the requests, the failed sign-in, shutdown — or the grep proves nothing.
    for (const op of ['PutObject', 'GetObject', 'ListObjectsV2', 'POST /session', 'POST /me/keys']) assert.ok(lines.some((l) => l.operation === op), `a ${op} line`);
    assert.ok(lines.some((l) => l.errorCode === 'SignatureDoesNotMatch'), 'the forged request');
    assert.ok(lines.some((l) => l.accessKeyId === made.accessKeyId), 'access key ids are logged');
    assert.ok(lines.some((l) => l.msg === 'shutting down'));
    const everything = file + server.output();
    for (const [what, s] of secrets) {
      assert.ok(s.length >= 8, `${what} is long enough to search for`);
      assert.ok(!everything.includes(s), `the ${what} appears in the server's logs`);
    }
  });
});
