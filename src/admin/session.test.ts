/** Session store expiry and elevation, login back-off, cookie attributes — with a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { ELEVATION_MS, LoginThrottle, readCookie, SESSION_IDLE_MS, SESSION_MAX_MS, sessionCookie, SessionStore } from './session.js';

test('sessions: random ids, idle and absolute expiry, delete, elevation for 10 minutes', () => {
  let now = 1_000_000;
  const store = new SessionStore(() => now);
  const a = store.create('u1', 'alice');
  const b = store.create('u1', 'alice');
  assert.notEqual(a.id, b.id);
  assert.notEqual(a.session.csrfToken, b.session.csrfToken);
  assert.ok(a.id.length >= 40);
  assert.equal(store.get(a.id)?.username, 'alice');
  assert.equal(store.get('nope'), undefined);
  assert.equal(store.isElevated(a.session), false);
  store.elevate(a.session);
  now += ELEVATION_MS - 1;
  assert.equal(store.isElevated(a.session), true);
  now += 2;
  assert.equal(store.isElevated(a.session), false);
  now += SESSION_IDLE_MS + 1;
  assert.equal(store.get(a.id), undefined, 'idle too long');
  const c = store.create('u2', 'bob');
  for (let t = 0; t < SESSION_MAX_MS; t += SESSION_IDLE_MS / 2) {
    now += SESSION_IDLE_MS / 2;
    store.get(c.id);
  }
  now += 1;
  assert.equal(store.get(c.id), undefined, 'older than the absolute limit');
  const d = store.create('u3', 'carol');
  store.delete(d.session);
  assert.equal(store.get(d.id), undefined);
  const e = store.create('u4', 'dan');
  store.deleteUser('u4');
  assert.equal(store.get(e.id), undefined);
});

test('login throttle: 5 free failures per user, then exponential back-off; addresses get 20', () => {
  let now = 0;
  const t = new LoginThrottle(() => now);
  const keys = ['user:alice', 'ip:10.0.0.1'];
  for (let i = 0; i < 5; i++) {
    assert.equal(t.retryAfterMs(keys), 0);
    t.fail(keys);
  }
  assert.equal(t.retryAfterMs(keys), 1000);
  now += 1000;
  assert.equal(t.retryAfterMs(keys), 0);
  t.fail(keys);
  assert.equal(t.retryAfterMs(keys), 2000);
  for (let i = 0; i < 30; i++) t.fail(keys);
  assert.equal(t.retryAfterMs(keys), LoginThrottle.MAX_DELAY_MS, 'capped');
  t.succeed('user:alice');
  assert.ok(t.retryAfterMs(['user:alice']) === 0);
  assert.ok(t.retryAfterMs(['ip:10.0.0.1']) > 0, 'a success does not unlock the address');
  const other = ['user:bob', 'ip:10.0.0.2'];
  for (let i = 0; i < 4; i++) t.fail(['user:x' + i, 'ip:10.0.0.2']);
  assert.equal(t.retryAfterMs(other), 0, 'four failures from an address are not yet throttled');
});

test('cookie: HttpOnly, SameSite=Strict, Path /_admin/, Secure only over TLS; parsing', () => {
  const plain = { socket: {}, headers: {} } as unknown as IncomingMessage;
  const tls = { socket: { encrypted: true }, headers: {} } as unknown as IncomingMessage;
  assert.match(sessionCookie('abc', plain), /^granary_session=abc; Path=\/_admin\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  assert.match(sessionCookie('abc', tls), /; Secure;/);
  const req = { headers: { cookie: 'x=1; granary_session=zzz ; y=2' } } as unknown as IncomingMessage;
  assert.equal(readCookie(req, 'granary_session'), 'zzz');
  assert.equal(readCookie(req, 'nope'), undefined);
});
