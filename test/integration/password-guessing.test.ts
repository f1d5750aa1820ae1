/**
 * Password guessing (issue 15 item 2), against the real server: one throttle for every way a password is
 * checked — the admin API's HTTP Basic, portal sign-in and password re-entry, an LDAP bind — per
 * username and per client address, kept in the metadata store (it survives a restart; cluster.test.ts
 * shows it shared by gateways on PostgreSQL), answering 429 with Retry-After. Parallel guesses cannot
 * slip through before the first one fails; a client's own parallel requests with the right password are
 * never throttled. The server trusts 127.0.0.1 as a proxy here, so each test guesses from an address of
 * its own (X-Forwarded-For); one test shows the header is ignored from anyone else.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServer, type TestServer } from '../helpers/server.js';
import { ADMIN_PASSWORD, ADMIN_USER } from '../helpers/admin.js';
import { SLAPD_BIN, SLAPD_USERS, GROUPS_DN, USERS_DN, startSlapd, type TestSlapd } from '../helpers/slapd.js';

const API = '/_admin/api/v1';
const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

const fromHeader = (from: string): Record<string, string> => (from ? { 'x-forwarded-for': from } : {});
function me(s: TestServer, user: string, password: string, from: string): Promise<Response> {
  return fetch(`${s.portalUrl}${API}/me`, { headers: { authorization: basic(user, password), ...fromHeader(from) } });
}
function signIn(s: TestServer, user: string, password: string, from: string): Promise<Response> {
  return fetch(`${s.portalUrl}${API}/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...fromHeader(from) }, body: JSON.stringify({ username: user, password }) });
}
async function createUser(s: TestServer, username: string, password: string): Promise<void> {
  const r = await fetch(`${s.portalUrl}${API}/users`, { method: 'POST', headers: { authorization: basic(ADMIN_USER, ADMIN_PASSWORD), 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.1' }, body: JSON.stringify({ username, password }) });
  assert.equal(r.status, 201, await r.text());
}

describe('password guessing: one shared throttle', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { GRANARY_TRUSTED_PROXIES: '127.0.0.1' } });
  });
  after(async () => {
    await s.stop();
    s.cleanup();
  });

  test('HTTP Basic: five wrong passwords, then 429 with Retry-After, even for the right one', async () => {
    await createUser(s, 'basic-victim', 'basic-victim-password');
    const from = '203.0.113.10';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await me(s, 'basic-victim', `guess-${i}`, from)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
    const r = await me(s, 'basic-victim', 'guess-5', from);
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.match(r.headers.get('content-type') ?? '', /problem\+json/);
    // From another address too (the username is throttled), and with the right password.
    assert.equal((await me(s, 'basic-victim', 'basic-victim-password', '203.0.113.11')).status, 429);
    // The portal's sign-in is the same throttle.
    assert.equal((await signIn(s, 'basic-victim', 'basic-victim-password', '203.0.113.12')).status, 429);
  });

  test('portal sign-in and Basic count together', async () => {
    await createUser(s, 'mixed-victim', 'mixed-victim-password');
    const from = '203.0.113.20';
    for (let i = 0; i < 3; i++) assert.equal((await signIn(s, 'mixed-victim', `guess-${i}`, from)).status, 401);
    for (let i = 3; i < 5; i++) assert.equal((await me(s, 'mixed-victim', `guess-${i}`, from)).status, 401);
    assert.equal((await me(s, 'mixed-victim', 'guess-5', from)).status, 429);
    assert.equal((await signIn(s, 'mixed-victim', 'guess-6', from)).status, 429);
  });

  test('parallel guesses: exactly five are checked, every other one waits', async () => {
    await createUser(s, 'parallel-victim', 'parallel-victim-password');
    const from = '203.0.113.30';
    const statuses = await Promise.all(Array.from({ length: 16 }, (_, i) => me(s, 'parallel-victim', `guess-${i}`, from).then((r) => r.status)));
    assert.equal(statuses.filter((x) => x === 401).length, 5, `got ${statuses.join(',')}`);
    assert.equal(statuses.filter((x) => x === 429).length, 11, `got ${statuses.join(',')}`);
  });

  test('a client\'s parallel requests with the right password are never throttled, and success forgets failures', async () => {
    await createUser(s, 'busy-user', 'busy-user-password');
    const from = '203.0.113.40';
    for (let i = 0; i < 4; i++) assert.equal((await me(s, 'busy-user', `typo-${i}`, from)).status, 401);
    const statuses = await Promise.all(Array.from({ length: 12 }, () => me(s, 'busy-user', 'busy-user-password', from).then((r) => r.status)));
    assert.deepEqual(statuses, new Array(12).fill(200));
    // The four typos were forgotten: five more wrong ones are checked before the throttle.
    for (let i = 0; i < 5; i++) assert.equal((await me(s, 'busy-user', `typo-again-${i}`, from)).status, 401);
    assert.equal((await me(s, 'busy-user', 'typo-6', from)).status, 429);
  });

  test('spraying many usernames from one address is throttled after 20 failures', async () => {
    const from = '203.0.113.50';
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await me(s, `spray-${i}`, 'Winter2024!', from)).status);
    assert.deepEqual(statuses.slice(0, 20), new Array(20).fill(401));
    assert.equal(statuses[20], 429);
    // Another address is not affected; IPv6 clients are counted per /64.
    assert.equal((await me(s, 'spray-x', 'x', '203.0.113.51')).status, 401);
    for (let i = 0; i < 20; i++) await me(s, `v6-${i}`, 'x', `2001:db8:1:2::${(i + 1).toString(16)}`);
    assert.equal((await me(s, 'v6-last', 'x', '2001:db8:1:2:ffff::1')).status, 429, 'the same /64');
    assert.equal((await me(s, 'v6-other', 'x', '2001:db8:1:3::1')).status, 401, 'another /64');
  });

  test('the throttle lives in the metadata store: it survives a restart', async () => {
    await createUser(s, 'restart-victim', 'restart-victim-password');
    const from = '203.0.113.60';
    for (let i = 0; i < 5; i++) assert.equal((await me(s, 'restart-victim', `guess-${i}`, from)).status, 401);
    await s.stop();
    const failures = () => {
      const db = new Database(join(s.dataDir, 'metadata.db'), { readonly: true });
      try {
        return (db.prepare('SELECT failures FROM auth_failures WHERE key = ?').get('user:restart-victim') as { failures: number } | undefined)?.failures;
      } finally {
        db.close();
      }
    };
    assert.equal(failures(), 5, 'the failures are in the metadata store');
    s = await startServer({ dataDir: s.dataDir, env: { GRANARY_TRUSTED_PROXIES: '127.0.0.1' } });
    // The restarted server goes on from them: still waiting, or the sixth failure (never a first one).
    const r = await me(s, 'restart-victim', 'guess-5', from);
    assert.ok(r.status === 429 || r.status === 401, String(r.status));
    await s.stop();
    assert.equal(failures(), r.status === 429 ? 5 : 6);
    s = await startServer({ dataDir: s.dataDir, env: { GRANARY_TRUSTED_PROXIES: '127.0.0.1' } });
  });
});

describe('password guessing: X-Forwarded-For only from trusted proxies', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.stop();
    s.cleanup();
  });

  test('a client cannot pick a fresh address per guess', async () => {
    let last = 0;
    for (let i = 0; i < 21; i++) last = (await me(s, `xff-${i}`, 'x', `198.51.100.${i + 10}`)).status;
    assert.equal(last, 429, 'the peer address, not the header, is counted');
  });
});

const skipLdap = !existsSync(SLAPD_BIN) && !process.env.CI ? `${SLAPD_BIN} is not installed (scripts/install-test-deps.sh)` : false;

describe('password guessing: LDAP binds are throttled too', { skip: skipLdap }, () => {
  let slapd: TestSlapd;
  let s: TestServer;
  before(async () => {
    slapd = await startSlapd();
    s = await startServer({ env: { GRANARY_LDAP_URL: slapd.url, GRANARY_LDAP_USER_BASE: USERS_DN, GRANARY_LDAP_GROUP_BASE: GROUPS_DN } });
  });
  after(async () => {
    await s?.stop();
    s?.cleanup();
    await slapd?.stop();
  });

  test('five wrong directory passwords, then 429 without another bind', async () => {
    const alice = SLAPD_USERS.find((u) => u.uid === 'alice')!;
    assert.equal((await me(s, 'alice', alice.password, '')).status, 200, 'alice signs in through LDAP');
    for (let i = 0; i < 5; i++) assert.equal((await me(s, 'alice', `guess-${i}`, '')).status, 401);
    assert.equal((await me(s, 'alice', alice.password, '')).status, 429);
    assert.equal((await signIn(s, 'alice', alice.password, '')).status, 429);
  });
});
