/** Session store expiry and elevation, cookie attributes — with a fake clock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { openSqliteMetadataStore } from '../metadata/sqlite/sqlite-store.js';
import { ELEVATION_MS, readCookie, SESSION_IDLE_MS, SESSION_MAX_MS, sessionCookie, SessionStore, TOUCH_EVERY_MS } from './session.js';

test('sessions: random ids, idle and absolute expiry, delete, elevation for 10 minutes', async () => {
  let now = 1_000_000;
  const metadata = await openSqliteMetadataStore(':memory:');
  try {
    const u = async (name: string) => (await metadata.createUser({ username: name, passwordHash: 'scrypt$x' })).id;
    const [u1, u2, u3, u4] = [await u('alice'), await u('bob'), await u('carol'), await u('dan')];
    const store = new SessionStore(metadata, () => now);
    const a = await store.create(u1, 'alice');
    const b = await store.create(u1, 'alice');
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.session.csrfToken, b.session.csrfToken);
    assert.ok(a.id.length >= 40);
    assert.equal((await store.get(a.id))?.username, 'alice');
    assert.equal(await store.get('nope'), undefined);
    assert.equal(store.isElevated(a.session), false);
    await store.elevate(a.session);
    now += ELEVATION_MS - 1;
    assert.equal(store.isElevated(a.session), true);
    assert.equal(store.isElevated((await store.get(a.id))!), true, 'elevation is stored');
    now += 2;
    assert.equal(store.isElevated(a.session), false);
    now += SESSION_IDLE_MS + 1;
    assert.equal(await store.get(a.id), undefined, 'idle too long');
    const c = await store.create(u2, 'bob');
    for (let t = 0; t < SESSION_MAX_MS; t += SESSION_IDLE_MS / 2) {
      now += SESSION_IDLE_MS / 2;
      await store.get(c.id);
    }
    now += 1;
    assert.equal(await store.get(c.id), undefined, 'older than the absolute limit');
    const d = await store.create(u3, 'carol');
    await store.delete(d.session);
    assert.equal(await store.get(d.id), undefined);
    const e = await store.create(u4, 'dan');
    await store.deleteUser(u4);
    assert.equal(await store.get(e.id), undefined);
  } finally {
    await metadata.close();
  }
});

test('sessions live in the metadata store: every gateway sees them, only the hash of the id is stored', async () => {
  let now = 5_000_000;
  const metadata = await openSqliteMetadataStore(':memory:');
  try {
    const user = await metadata.createUser({ username: 'erin', passwordHash: 'scrypt$x' });
    const gatewayA = new SessionStore(metadata, () => now);
    const gatewayB = new SessionStore(metadata, () => now);
    const { id, session } = await gatewayA.create(user.id, 'erin');
    const seen = await gatewayB.get(id);
    assert.equal(seen?.csrfToken, session.csrfToken, 'a session made on one gateway works on another');
    const rec = await metadata.getSession(session.hash);
    assert.ok(rec);
    assert.ok(!JSON.stringify(rec).includes(id), 'the raw id is never stored');
    assert.equal(rec.idHash, createHash('sha256').update(id).digest('hex'));
    await gatewayB.elevate(seen!);
    assert.equal(gatewayA.isElevated((await gatewayA.get(id))!), true, 'elevation on one gateway holds on another');
    now += TOUCH_EVERY_MS;
    await gatewayB.get(id);
    assert.equal((await metadata.getSession(session.hash))?.lastSeen, now, 'use on one gateway keeps the session alive for all');
    await gatewayB.delete(seen!);
    assert.equal(await gatewayA.get(id), undefined, 'sign-out on one gateway ends it on all');
  } finally {
    await metadata.close();
  }
});

test('cookie: HttpOnly, SameSite=Strict, Path /_admin/, Secure only over TLS; parsing', () => {
  assert.match(sessionCookie('abc', false), /^granary_session=abc; Path=\/_admin\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  // Over TLS, the request's own or a TLS proxy's in front of the plain portal listener (AdminRequestFacts.tls).
  assert.match(sessionCookie('abc', true), /; Secure;/);
  const req = { headers: { cookie: 'x=1; granary_session=zzz ; y=2' } } as unknown as IncomingMessage;
  assert.equal(readCookie(req, 'granary_session'), 'zzz');
  assert.equal(readCookie(req, 'nope'), undefined);
});
