/**
 * The portal and admin API on an origin S3 never serves (issue 15 item 1), against the real server:
 * - S3 listeners refuse /_admin/ (portal and API) and keep /_admin/health; the portal listener serves no S3;
 * - every S3 response (objects of any type, listings, errors) carries nosniff and `CSP: sandbox`;
 * - the portal's presigned URLs point at the S3 endpoint, which grants CORS to exactly the portal's origin,
 *   for presigned requests only (preflight and actual requests), and to no other origin;
 * - with a configured portal host (`portalUrl`, e.g. behind a TLS proxy): requests naming it are portal
 *   requests on the S3 listener, S3 is not served to it, /_admin/ is refused on every other host, the
 *   Origin it accepts is exactly portalUrl's and the session cookie is Secure.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { ADMIN_PASSWORD, ADMIN_USER, AdminClient, creds, makeActor, rawRequest, s3For } from '../helpers/admin.js';

const API = '/_admin/api/v1';
const basicOf = (user: string, password: string): string => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
const basic = basicOf(ADMIN_USER, ADMIN_PASSWORD);
/** The member whose presigned URLs the tests use (makeActor's password scheme). */
const member = basicOf('origin-user', 'pw-origin-user-0123456789');

async function presign(s: TestServer, tenancy: string, req: Record<string, unknown>): Promise<string> {
  const r = await fetch(`${s.portalUrl}${API}/tenancies/${tenancy}/presign`, { method: 'POST', headers: { authorization: member, 'content-type': 'application/json' }, body: JSON.stringify(req) });
  assert.equal(r.status, 200, await r.clone().text());
  return ((await r.json()) as { url: string }).url;
}

function userContentHeaders(h: Headers | Record<string, string | string[] | undefined>, what: string): void {
  const get = (n: string) => (h instanceof Headers ? h.get(n) : (h[n] as string | undefined));
  assert.equal(get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.equal(get('content-security-policy'), 'sandbox', `${what}: CSP sandbox`);
}

describe('the portal origin (separate listener)', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    const a = await makeActor(AdminClient.site(s), 'origin-user', 'default', 'MANAGER');
    const c = s3For(s, creds(a.key));
    await c.send(new CreateBucketCommand({ Bucket: 'content' }));
    await c.send(new PutObjectCommand({ Bucket: 'content', Key: 'page.html', Body: '<script>alert(1)</script>', ContentType: 'text/html' }));
    await c.send(new PutObjectCommand({ Bucket: 'content', Key: 'pic.svg', Body: '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', ContentType: 'image/svg+xml' }));
  });
  after(async () => {
    await s.stop();
    s.cleanup();
  });

  test('is its own listener, and the startup output names it', () => {
    assert.notEqual(s.portalPort, s.port);
    assert.match(s.output(), new RegExp(`Granary portal: http://127\\.0\\.0\\.1:${s.portalPort}/_admin/portal/`));
  });

  test('S3 listeners refuse the portal and the admin API, and keep health for load balancers', async () => {
    for (const path of [`${API}/session`, `${API}/me`, '/_admin/portal/', '/_admin/portal/index.html', `${API}/openapi.json`]) {
      const r = await rawRequest(s, 'GET', path, { headers: { authorization: basic } });
      assert.equal(r.status, 404, path);
      assert.match(r.body, new RegExp(`not served on S3 endpoints: use ${s.portalUrl.replace(/\./g, '\\.')}`), path);
      assert.equal(r.headers['set-cookie'], undefined);
    }
    const post = await rawRequest(s, 'POST', `${API}/users`, { headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify({ username: 'via-s3', password: 'via-s3-password-1' }) });
    assert.equal(post.status, 404);
    assert.ok(!(await AdminClient.site(s).listUsers()).items.some((u) => u.username === 'via-s3'));
    assert.deepEqual(JSON.parse((await rawRequest(s, 'GET', '/_admin/health')).body), { status: 'ok' });
  });

  test('the portal listener serves the portal and the API, and no S3', async () => {
    assert.equal((await fetch(`${s.portalUrl}${API}/me`, { headers: { authorization: basic } })).status, 200);
    assert.equal((await rawRequest(s, 'GET', `${API}/me`, { portal: true, headers: { authorization: basic } })).status, 200);
    assert.equal((await fetch(`${s.portalUrl}/_admin/portal/`)).status, 200);
    assert.equal((await fetch(`${s.portalUrl}/_admin/health`)).status, 200);
    const root = await fetch(`${s.portalUrl}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/_admin/portal/');
    const obj = await fetch(`${s.portalUrl}/default:content/page.html`);
    assert.equal(obj.status, 404, 'no object is ever served on the portal origin');
    assert.doesNotMatch(await obj.text(), /script/);
  });

  test('every S3 response carries nosniff and CSP sandbox: objects, listings, errors', async () => {
    const page = await fetch(await presign(s, 'default', { bucket: 'content', key: 'page.html' }));
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html');
    userContentHeaders(page.headers, 'an HTML object');
    userContentHeaders((await fetch(await presign(s, 'default', { bucket: 'content', key: 'pic.svg' }))).headers, 'an SVG object');
    userContentHeaders((await fetch(await presign(s, 'default', { bucket: 'content', query: { 'list-type': '2' } }))).headers, 'a listing');
    const err = await rawRequest(s, 'GET', '/content/page.html');
    assert.equal(err.status, 403);
    userContentHeaders(err.headers, 'an error');
  });

  test('presigned URLs point at S3; CORS for exactly the portal origin, presigned requests only', async () => {
    const url = await presign(s, 'default', { method: 'PUT', bucket: 'content', key: 'up.bin' });
    assert.equal(new URL(url).origin, s.url);
    const portal = s.portalUrl;
    // Preflight of the portal's upload (XMLHttpRequest with a file type and progress events).
    const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: portal, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' } });
    assert.equal(pre.status, 200);
    assert.equal(pre.headers.get('access-control-allow-origin'), portal);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /PUT/);
    assert.equal(pre.headers.get('access-control-allow-headers'), 'content-type');
    assert.equal(pre.headers.get('access-control-allow-credentials'), null, 'no credentials: presigned URLs need none');
    const put = await fetch(url, { method: 'PUT', headers: { origin: portal, 'content-type': 'application/octet-stream' }, body: 'hello' });
    assert.equal(put.status, 200);
    assert.equal(put.headers.get('access-control-allow-origin'), portal);
    assert.match(put.headers.get('access-control-expose-headers') ?? '', /ETag/i);
    assert.match(put.headers.get('vary') ?? '', /Origin/);
    // An error answer is readable by the portal too (it shows the S3 error).
    const denied = await fetch(url.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=' + '0'.repeat(64)), { method: 'PUT', headers: { origin: portal }, body: 'x' });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('access-control-allow-origin'), portal);

    // Nothing wider: other origins (another port of the same host, the S3 origin itself, a stranger, null).
    for (const origin of [`http://127.0.0.1:${s.portalPort + 1}`, s.url, 'https://evil.example', 'null', `https://127.0.0.1:${s.portalPort}`]) {
      const p = await fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT' } });
      assert.equal(p.status, 403, `preflight from ${origin}`);
      assert.equal(p.headers.get('access-control-allow-origin'), null, `preflight from ${origin}`);
      const g = await fetch(url, { method: 'PUT', headers: { origin }, body: 'x' });
      assert.equal(g.headers.get('access-control-allow-origin'), null, `PUT from ${origin}`);
    }
    // The portal's origin for a request that is not presigned: no CORS either.
    const anon = await rawRequest(s, 'GET', '/content/up.bin', { headers: { origin: portal } });
    assert.equal(anon.headers['access-control-allow-origin'], undefined);
    // A header the portal never sends is not granted.
    const extra = await fetch(url, { method: 'OPTIONS', headers: { origin: portal, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-amz-acl' } });
    assert.equal(extra.status, 403);
  });

  test('the portal page may connect to the S3 endpoint it presigns for, and nowhere else', async () => {
    const csp = (await fetch(`${s.portalUrl}/_admin/portal/`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, new RegExp(`connect-src 'self' ${s.url.replace(/\./g, '\\.')};`));
  });
});

describe('the portal origin (configured portal host on the S3 listener, TLS in front)', () => {
  let s: TestServer;
  const PORTAL = 'https://portal.example.org';
  before(async () => {
    s = await startServer({ args: ['--listen-portal', 'none', '--portal-url', PORTAL], env: { GRANARY_EXTERNAL_DOMAIN: 's3.example.org' } });
  });
  after(async () => {
    await s.stop();
    s.cleanup();
  });

  test('requests naming the portal host are portal requests; S3 never answers to that host', async () => {
    assert.match(s.output(), /Granary portal \(public URL\): https:\/\/portal\.example\.org\/_admin\/portal\//);
    assert.doesNotMatch(s.output(), /Granary portal: http/);
    const host = 'portal.example.org';
    assert.equal((await rawRequest(s, 'GET', `${API}/me`, { host, headers: { authorization: basic } })).status, 200);
    assert.equal((await rawRequest(s, 'GET', '/_admin/portal/', { host })).status, 200);
    const obj = await rawRequest(s, 'GET', '/default:anything/key', { host });
    assert.equal(obj.status, 404);
    assert.match(obj.body, /S3 is not served here/);
    // Every other host name is S3's: no portal, no API.
    for (const other of [undefined, 'default.s3.localhost', 'portal.example.org.evil.example']) {
      assert.equal((await rawRequest(s, 'GET', `${API}/me`, { ...(other ? { host: other } : {}), headers: { authorization: basic } })).status, 404, String(other));
    }
  });

  test('the Origin accepted is exactly portalUrl; the cookie is Secure; presigned URLs go to the external endpoint', async () => {
    const host = 'portal.example.org';
    const signIn = (origin: string) =>
      rawRequest(s, 'POST', `${API}/session`, { host, headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ username: ADMIN_USER, password: ADMIN_PASSWORD }) });
    for (const wrong of ['http://portal.example.org', `http://portal.example.org:${s.port}`, 'https://portal.example.org.evil.example']) {
      assert.equal((await signIn(wrong)).status, 403, wrong);
    }
    const ok = await signIn(PORTAL);
    assert.equal(ok.status, 201, ok.body);
    assert.match(String(ok.headers['set-cookie']), /; Secure/);
    const api = (method: string, path: string, body: unknown) =>
      rawRequest(s, method, `${API}${path}`, { host, headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await api('POST', '/users', { username: 'tls-user', password: 'tls-user-password-1' });
    await api('POST', '/tenancies/default/members', { username: 'tls-user', role: 'USER' });
    const r = await rawRequest(s, 'POST', `${API}/tenancies/default/presign`, {
      host,
      headers: { authorization: basicOf('tls-user', 'tls-user-password-1'), 'content-type': 'application/json' },
      body: JSON.stringify({ bucket: 'some-bucket' }),
    });
    assert.equal(r.status, 200, r.body);
    assert.equal(new URL((JSON.parse(r.body) as { url: string }).url).origin, 'https://s3.example.org');
  });
});
