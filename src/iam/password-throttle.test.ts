/**
 * The password-guessing throttle with a fake clock, the built-in directory and a real SQLite store:
 * five free failures per username (twenty per address), then a doubling wait from 10 s up to 15 minutes; a
 * success forgets the username's failures, not the address's; quiet time forgets them (a day for a
 * username, an hour for an address); two gateways (throttles) on one store share the counts; a directory
 * that fails counts nothing; keys for addresses (IPv6 per /64).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteMetadataStore } from '../metadata/sqlite/sqlite-store.js';
import { BuiltinDirectory } from './directory/builtin.js';
import type { Directory } from './directory/directory.js';
import { hashPassword } from './passwords.js';
import { BASE_DELAY_MS, FORGET_ADDRESS_AFTER_MS, FORGET_USER_AFTER_MS, MAX_DELAY_MS, PasswordThrottle, addressKey, userKey } from './password-throttle.js';

async function setup() {
  const metadata = await openSqliteMetadataStore(':memory:');
  await metadata.createUser({ username: 'alice', passwordHash: await hashPassword('alice-password') });
  let now = 1_000_000_000;
  const clock = { get: () => now, advance: (ms: number) => (now += ms) };
  const directory = new BuiltinDirectory(metadata);
  return { metadata, directory, clock, throttle: new PasswordThrottle(metadata, directory, clock.get) };
}

test('five free failures per username, then a doubling wait, capped; a success forgets them', async () => {
  const { metadata, throttle, clock } = await setup();
  try {
    const ip = '192.0.2.1';
    for (let i = 0; i < 5; i++) assert.equal((await throttle.check('alice', 'wrong', ip)).kind, 'wrong');
    assert.deepEqual(await throttle.check('alice', 'alice-password', ip), { kind: 'throttled', retryAfterSeconds: 10 });
    assert.deepEqual(await throttle.check('ALICE', 'x', '192.0.2.2'), { kind: 'throttled', retryAfterSeconds: 10 }, 'per username, case-folded, from any address');
    clock.advance(BASE_DELAY_MS - 1);
    assert.deepEqual(await throttle.check('alice', 'wrong', ip), { kind: 'throttled', retryAfterSeconds: 1 });
    clock.advance(1);
    assert.equal((await throttle.check('alice', 'wrong', ip)).kind, 'wrong');
    assert.deepEqual(await throttle.check('alice', 'wrong', ip), { kind: 'throttled', retryAfterSeconds: 20 });
    for (let wait = 2 * BASE_DELAY_MS; wait < MAX_DELAY_MS * 4; wait *= 2) {
      clock.advance(Math.min(wait, MAX_DELAY_MS));
      assert.equal((await throttle.check('alice', 'wrong', ip)).kind, 'wrong');
    }
    assert.deepEqual(await throttle.check('alice', 'wrong', ip), { kind: 'throttled', retryAfterSeconds: MAX_DELAY_MS / 1000 }, 'capped');
    clock.advance(MAX_DELAY_MS);
    const ok = await throttle.check('alice', 'alice-password', ip);
    assert.equal(ok.kind, 'ok');
    for (let i = 0; i < 5; i++) assert.equal((await throttle.check('alice', 'wrong', '192.0.2.3')).kind, 'wrong', 'forgotten after the success');
    assert.equal((await throttle.check('alice', 'wrong', '192.0.2.3')).kind, 'throttled');
    // An hour later the username still waits its turn (forgotten only after a day) …
    clock.advance(FORGET_ADDRESS_AFTER_MS);
    assert.equal((await throttle.check('alice', 'wrong', '192.0.2.3')).kind, 'wrong');
    assert.equal((await throttle.check('alice', 'wrong', '192.0.2.3')).kind, 'throttled');
    // … a quiet day later it starts afresh.
    clock.advance(FORGET_USER_AFTER_MS + 1);
    for (let i = 0; i < 5; i++) assert.equal((await throttle.check('alice', 'wrong', '192.0.2.3')).kind, 'wrong', 'a day later');
  } finally {
    await metadata.close();
  }
});

test('twenty per address; a success there does not unlock the address; an hour later it starts afresh', async () => {
  const { metadata, throttle, clock } = await setup();
  try {
    const ip = '198.51.100.7';
    for (let i = 0; i < 19; i++) assert.equal((await throttle.check(`user${i}`, 'x', ip)).kind, 'wrong');
    assert.equal((await throttle.check('alice', 'alice-password', ip)).kind, 'ok', 'a success is no failure of the address');
    assert.equal((await throttle.check('user19', 'x', ip)).kind, 'wrong');
    assert.equal((await throttle.check('alice', 'alice-password', ip)).kind, 'throttled', 'the address waits, whoever signs in');
    clock.advance(FORGET_ADDRESS_AFTER_MS + 1);
    for (let i = 0; i < 20; i++) assert.equal((await throttle.check(`later${i}`, 'x', ip)).kind, 'wrong', 'an hour later');
    assert.equal((await throttle.check('later-20', 'x', ip)).kind, 'throttled');
  } finally {
    await metadata.close();
  }
});

test('two gateways on one store share the counts; parallel guesses are decided one by one', async () => {
  const { metadata, directory, clock } = await setup();
  try {
    const a = new PasswordThrottle(metadata, directory, clock.get);
    const b = new PasswordThrottle(metadata, directory, clock.get);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).check('alice', `guess-${i}`, `203.0.113.${i}`)));
    assert.equal(results.filter((r) => r.kind === 'wrong').length, 5);
    assert.equal(results.filter((r) => r.kind === 'throttled').length, 7);
    const right = await Promise.all(Array.from({ length: 8 }, () => a.check('bob-unknown', 'x', '203.0.113.99')));
    assert.equal(right.filter((r) => r.kind === 'wrong').length, 5, 'unknown users are throttled alike');
  } finally {
    await metadata.close();
  }
});

test('a directory that cannot answer counts no failure', async () => {
  const { metadata, clock } = await setup();
  try {
    let up = false;
    const flaky: Directory = {
      kind: 'ldap',
      managesPasswords: false,
      close: async () => {},
      authenticate: async () => {
        if (!up) throw new Error('LDAP server unreachable');
        return undefined;
      },
    };
    const t = new PasswordThrottle(metadata, flaky, clock.get);
    for (let i = 0; i < 10; i++) await assert.rejects(t.check('carol', 'pw', '192.0.2.50'), /unreachable/);
    up = true;
    for (let i = 0; i < 5; i++) assert.equal((await t.check('carol', 'pw', '192.0.2.50')).kind, 'wrong');
    assert.equal((await t.check('carol', 'pw', '192.0.2.50')).kind, 'throttled');
  } finally {
    await metadata.close();
  }
});

test('throttle keys: usernames case-folded and bounded, IPv4 as is, IPv6 per /64, mapped IPv4 as IPv4', () => {
  assert.equal(userKey('Alice'), 'user:alice');
  assert.match(userKey('x'.repeat(5000)), /^user:sha256:[0-9a-f]{64}$/);
  assert.equal(addressKey('192.0.2.1'), 'ip:192.0.2.1');
  assert.equal(addressKey('::ffff:192.0.2.1'), 'ip:192.0.2.1');
  assert.equal(addressKey('2001:db8:1:2:3:4:5:6'), 'ip:2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8:1:2::99'), addressKey('2001:db8:1:2:ffff::1'));
  assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
  assert.equal(addressKey(undefined), 'ip:unknown');
});
