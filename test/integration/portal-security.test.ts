/**
 * Attacks on the portal's session protections, against the real server: a cross-site POST without the
 * CSRF token or from a foreign Origin, a stolen cookie replayed after sign-out, brute-force sign-in, key
 * management without re-authentication; and the portal's security headers (CSP and friends).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.js';
import { ADMIN_PASSWORD, ADMIN_USER } from '../helpers/admin.js';

const API = '/_admin/api/v1';

interface Signed {
  cookie: string;
  csrf: string;
}

async function signIn(s: TestServer, username = ADMIN_USER, password = ADMIN_PASSWORD, headers: Record<string, string> = {}): Promise<Signed> {
  const r = await fetch(`${s.portalUrl}${API}/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username, password }) });
  assert.equal(r.status, 201, await r.clone().text());
  const setCookie = r.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /granary_session=/);
  assert.match(setCookie, /HttpOnly/i);
  assert.match(setCookie, /SameSite=Strict/i);
  assert.doesNotMatch(setCookie, /Secure/, 'plain HTTP: no Secure flag (it would be dropped)');
  const body = (await r.json()) as { csrfToken: string; signedIn: boolean };
  assert.equal(body.signedIn, true);
  return { cookie: setCookie.split(';')[0]!, csrf: body.csrfToken };
}

const json = (o: unknown) => JSON.stringify(o);

describe('portal security', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.stop();
    s.cleanup();
  });

  test('a cookie-authenticated change needs the CSRF token and a same-origin Origin', async () => {
    const a = await signIn(s);
    const body = json({ name: 'csrf-group-1' });
    // A cross-site form post: cookie sent (pretend SameSite failed), no token.
    let r = await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { cookie: a.cookie, 'content-type': 'application/json', origin: 'https://evil.example' }, body });
    assert.equal(r.status, 403);
    r = await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { cookie: a.cookie, 'content-type': 'application/json' }, body });
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as { detail: string }).detail, /CSRF/i);
    // Right token but a foreign Origin: still refused.
    r = await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'application/json', origin: 'https://evil.example' }, body });
    assert.equal(r.status, 403);
    // A wrong token.
    r = await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf.slice(1) + 'x', 'content-type': 'application/json' }, body });
    assert.equal(r.status, 403);
    // The group was never created.
    r = await fetch(`${s.portalUrl}${API}/groups`, { headers: { cookie: a.cookie } });
    assert.ok(!((await r.json()) as { items: Array<{ name: string }> }).items.some((g) => g.name === 'csrf-group-1'));
    // Same origin with the token: accepted.
    r = await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'application/json', origin: s.portalUrl }, body });
    assert.equal(r.status, 201, await r.text());
    // Sign-in itself refuses a foreign Origin (login CSRF).
    r = await fetch(`${s.portalUrl}${API}/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: json({ username: ADMIN_USER, password: ADMIN_PASSWORD }) });
    assert.equal(r.status, 403);
  });

  test('a stolen cookie replayed after sign-out is refused', async () => {
    const a = await signIn(s);
    let r = await fetch(`${s.portalUrl}${API}/me`, { headers: { cookie: a.cookie } });
    assert.equal(r.status, 200);
    r = await fetch(`${s.portalUrl}${API}/session`, { method: 'DELETE', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf } });
    assert.equal(r.status, 204);
    assert.match(r.headers.get('set-cookie') ?? '', /Max-Age=0/);
    r = await fetch(`${s.portalUrl}${API}/me`, { headers: { cookie: a.cookie } });
    assert.equal(r.status, 401);
    r = await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'application/json' }, body: json({ name: 'replayed' }) });
    assert.equal(r.status, 401);
    const g = (await (await fetch(`${s.portalUrl}${API}/session`, { headers: { cookie: a.cookie } })).json()) as { signedIn: boolean };
    assert.equal(g.signedIn, false);
  });

  test('key management needs a session elevated by the password; Basic (the CLI) counts as elevated', async () => {
    const a = await signIn(s);
    const tenancy = 'sec-keys';
    const basic = 'Basic ' + Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64');
    let r = await fetch(`${s.portalUrl}${API}/tenancies`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: json({ name: tenancy }) });
    assert.equal(r.status, 201, await r.text());
    await fetch(`${s.portalUrl}${API}/tenancies/${tenancy}/members`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: json({ username: ADMIN_USER, role: 'MANAGER' }) });
    const keyBody = json({ tenancy, name: 'k', expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    const h = { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'application/json' };
    r = await fetch(`${s.portalUrl}${API}/me/keys`, { method: 'POST', headers: h, body: keyBody });
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as { detail: string }).detail, /password again/);
    r = await fetch(`${s.portalUrl}${API}/session/elevate`, { method: 'POST', headers: h, body: json({ password: 'wrong' }) });
    assert.equal(r.status, 401);
    r = await fetch(`${s.portalUrl}${API}/session/elevate`, { method: 'POST', headers: h, body: json({ password: ADMIN_PASSWORD }) });
    assert.equal(r.status, 200);
    assert.ok(((await r.json()) as { elevatedUntil: string | null }).elevatedUntil);
    r = await fetch(`${s.portalUrl}${API}/me/keys`, { method: 'POST', headers: h, body: keyBody });
    assert.equal(r.status, 201);
    const created = (await r.json()) as { secretAccessKey: string };
    assert.ok(created.secretAccessKey);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    r = await fetch(`${s.portalUrl}${API}/me/keys`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: keyBody });
    assert.equal(r.status, 201);
    assert.ok(!s.output().includes(created.secretAccessKey), 'secret in the server log');
  });

  test('brute-force sign-in is throttled per username (429 with Retry-After)', async () => {
    const user = 'victim';
    const basic = 'Basic ' + Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64');
    await fetch(`${s.portalUrl}${API}/users`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: json({ username: user, password: 'victim-password-123' }) });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const r = await fetch(`${s.portalUrl}${API}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json({ username: user, password: `guess-${i}` }) });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.ok(statuses.slice(5).every((x) => x === 429), `got ${statuses.join(',')}`);
    assert.ok(retryAfter && Number(retryAfter) >= 1);
    // Even the right password waits out the back-off.
    const r = await fetch(`${s.portalUrl}${API}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json({ username: user, password: 'victim-password-123' }) });
    assert.equal(r.status, 429);
  });

  test('the portal is served with a strict CSP and hardening headers, with SPA fallback', async () => {
    for (const path of ['/_admin/portal/', '/_admin/portal/some/deep/link']) {
      const r = await fetch(`${s.portalUrl}${path}`);
      assert.equal(r.status, 200, path);
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
      const html = await r.text();
      assert.match(html, /<div id="app">/);
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
      const asset = /src="(\/_admin\/portal\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(asset);
      const a = await fetch(`${s.portalUrl}${asset}`);
      assert.equal(a.status, 200);
      assert.match(a.headers.get('cache-control') ?? '', /immutable/);
    }
    assert.equal((await fetch(`${s.portalUrl}/_admin/portal/assets/missing-123.js`)).status, 404, 'a missing hashed asset is not the index page');
    assert.equal((await fetch(`${s.portalUrl}/_admin/portal/../api/v1/me`)).status, 401, 'no path escape from the portal');
  });

  test('CSRF through Basic: non-JSON bodies are refused (415), so are foreign origins (403), before the password is checked', async () => {
    const basic = 'Basic ' + Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64');
    const groups = async () => ((await (await fetch(`${s.portalUrl}${API}/groups`, { headers: { authorization: basic } })).json()) as { items: Array<{ name: string }> }).items.map((g) => g.name);
    // What an HTML form can send: text/plain holding JSON, urlencoded, multipart.
    const forms: Array<[string, string]> = [
      ['text/plain', '{"name":"csrf-basic-1","x":"="}'],
      ['application/x-www-form-urlencoded', 'name=csrf-basic-2'],
      ['multipart/form-data; boundary=b', '--b\r\ncontent-disposition: form-data; name="name"\r\n\r\ncsrf-basic-3\r\n--b--\r\n'],
    ];
    for (const [type, body] of forms) {
      const r = await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { authorization: basic, 'content-type': type }, body });
      assert.equal(r.status, 415, type);
      assert.match(((await r.json()) as { detail: string }).detail, /application\/json/);
    }
    // A body without a Content-Type, and a form post without a body.
    assert.equal((await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { authorization: basic }, body: new Uint8Array(Buffer.from('{"name":"csrf-basic-4"}')) })).status, 415);
    assert.equal((await fetch(`${s.portalUrl}${API}/tenancies/default/usage/repair?fix=true`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' } })).status, 415);
    // JSON from a page of another origin, or the browser saying the page is cross-site or same-site.
    const json = JSON.stringify({ name: 'csrf-basic-5' });
    const foreign: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { origin: s.url }, { origin: 'null' }, { referer: `${s.url}/bucket/evil.html` }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }];
    for (const h of foreign) {
      const r = await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json', ...h }, body: json });
      assert.equal(r.status, 403, JSON.stringify(h));
    }
    // Refused before any password check: a cross-site request is no guess either.
    const wrong = 'Basic ' + Buffer.from(`${ADMIN_USER}:wrong`).toString('base64');
    for (let i = 0; i < 8; i++) {
      assert.equal((await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { authorization: wrong, 'content-type': 'text/plain' }, body: 'x' })).status, 415);
    }
    assert.deepEqual((await groups()).filter((g) => g.startsWith('csrf-basic')), []);
    // The portal's own origin, and clients that are no page (no Origin at all), are served.
    const ok = await fetch(`${s.portalUrl}${API}/groups`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json; charset=utf-8', origin: s.portalUrl, 'sec-fetch-site': 'same-origin' }, body: json });
    assert.equal(ok.status, 201, await ok.text());
  });

  test('a 401 invites no browser to cache Basic credentials; other clients get the challenge', async () => {
    const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';
    const browsers: Array<Record<string, string>> = [{ 'user-agent': chrome }, { 'user-agent': 'x', 'sec-fetch-dest': 'document' }];
    for (const headers of browsers) {
      const r = await fetch(`${s.portalUrl}${API}/me`, { headers });
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), null, JSON.stringify(headers));
      const wrong = await fetch(`${s.portalUrl}${API}/me`, { headers: { ...headers, authorization: 'Basic ' + Buffer.from('nobody-here:x').toString('base64') } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get('www-authenticate'), null);
    }
    const curl = await fetch(`${s.portalUrl}${API}/me`, { headers: { 'user-agent': 'curl/8.5.0' } });
    assert.equal(curl.status, 401);
    assert.match(curl.headers.get('www-authenticate') ?? '', /^Basic realm="granary"/);
  });

  // Last: it throttles this test's address for every username.
  test('password spraying from one address is throttled too', async () => {
    let last = 0;
    for (let i = 0; i < 24 && last !== 429; i++) {
      const r = await fetch(`${s.portalUrl}${API}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json({ username: `spray-${i}`, password: 'x' }) });
      last = r.status;
    }
    assert.equal(last, 429);
  });
});
