/** MetadataStore contract: portal sessions and the password-guessing throttle. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import type { MetadataStore } from '../store.js';
import type { ContractContext } from './fixture.js';

export function sessionsContract({ withStore }: ContractContext): void {
  describe('portal sessions', () => {
    const rec = (userId: string, idHash = newId(), over: Partial<{ createdAt: number; lastSeen: number }> = {}) => ({
      idHash,
      userId,
      csrfToken: `csrf-${newId()}`,
      createdAt: over.createdAt ?? 1000,
      lastSeen: over.lastSeen ?? 1000,
      elevatedUntil: 0,
    });

    it('create, get, update (touch and elevate), delete', () =>
      withStore(async ({ store, user }) => {
        const r = rec(user.id);
        await store.createSession(r);
        assert.deepEqual(await store.getSession(r.idHash), r);
        assert.equal(await store.getSession('unknown'), undefined);
        assert.equal(await store.updateSession(r.idHash, { lastSeen: 2000 }), true);
        assert.deepEqual(await store.getSession(r.idHash), { ...r, lastSeen: 2000 });
        assert.equal(await store.updateSession(r.idHash, { elevatedUntil: 9000 }), true);
        assert.deepEqual(await store.getSession(r.idHash), { ...r, lastSeen: 2000, elevatedUntil: 9000 });
        assert.equal(await store.updateSession('unknown', { lastSeen: 1 }), false);
        assert.equal(await store.deleteSession(r.idHash), true);
        assert.equal(await store.deleteSession(r.idHash), false);
        assert.equal(await store.getSession(r.idHash), undefined);
      }));

    it("ends every session of a user, and expired sessions", () =>
      withStore(async ({ store, user }) => {
        const other = await store.createUser({ username: `u-${newId().slice(0, 8)}`, passwordHash: 'scrypt$x' });
        const a = rec(user.id);
        const b = rec(user.id);
        const c = rec(other.id);
        for (const r of [a, b, c]) await store.createSession(r);
        assert.equal(await store.deleteSessionsOfUser(user.id), 2);
        assert.equal(await store.getSession(a.idHash), undefined);
        assert.equal(await store.getSession(b.idHash), undefined);
        assert.ok(await store.getSession(c.idHash));

        const idle = rec(other.id, newId(), { createdAt: 5000, lastSeen: 5000 });
        const old = rec(other.id, newId(), { createdAt: 100, lastSeen: 9000 });
        const fresh = rec(other.id, newId(), { createdAt: 8000, lastSeen: 9000 });
        for (const r of [idle, old, fresh]) await store.createSession(r);
        // c (last seen 1000) and idle are idle since before 6000; old was created before 500.
        assert.equal(await store.deleteExpiredSessions(6000, 500), 3);
        assert.deepEqual(await store.getSession(fresh.idHash), fresh);
        assert.equal(await store.getSession(old.idHash), undefined);
      }));
  });

  describe('password-guessing throttle', () => {
    /** The records of `keys`, read through a decision that refuses (so nothing changes). */
    async function peek(store: MetadataStore, keys: string[]): Promise<Array<{ key: string; failures: number; lastFailure: number }>> {
      let seen: Array<{ key: string; failures: number; lastFailure: number }> = [];
      const r = await store.beginAuthAttempt(k(keys), 1, (records) => ((seen = records), Number.MAX_SAFE_INTEGER));
      assert.deepEqual(r, { allowed: false, retryAt: Number.MAX_SAFE_INTEGER });
      return seen;
    }
    const keys = ['user:alice', 'ip:192.0.2.1'];
    /** Keys as beginAuthAttempt takes them: nothing forgotten unless said. */
    const k = (names: string[], forgetBefore = 0) => names.map((key) => ({ key, forgetBefore }));

    it('counts a check in advance, refuses without counting, takes back, clears and purges', () =>
      withStore(async ({ store }) => {
        assert.deepEqual(await peek(store, keys), [{ key: 'user:alice', failures: 0, lastFailure: 0 }, { key: 'ip:192.0.2.1', failures: 0, lastFailure: 0 }]);
        const first = await store.beginAuthAttempt(k(keys), 1000, () => 0);
        assert.deepEqual(first, { allowed: true, before: [{ key: 'user:alice', failures: 0, lastFailure: 0 }, { key: 'ip:192.0.2.1', failures: 0, lastFailure: 0 }] });
        assert.deepEqual(await store.beginAuthAttempt(k(keys), 2000, () => 0), { allowed: true, before: [{ key: 'user:alice', failures: 1, lastFailure: 1000 }, { key: 'ip:192.0.2.1', failures: 1, lastFailure: 1000 }] });
        // The decision sees the records in the order of the keys; a refusal changes nothing.
        let seenKeys: string[] = [];
        assert.deepEqual(await store.beginAuthAttempt(k([...keys].reverse()), 3000, (r) => ((seenKeys = r.map((x) => x.key)), 5000)), { allowed: false, retryAt: 5000 });
        assert.deepEqual(seenKeys, [...keys].reverse());
        assert.deepEqual(await peek(store, keys), [{ key: 'user:alice', failures: 2, lastFailure: 2000 }, { key: 'ip:192.0.2.1', failures: 2, lastFailure: 2000 }]);
        // A decision at or after the retry time goes ahead.
        assert.equal((await store.beginAuthAttempt(k(keys), 5000, () => 5000)).allowed, true);

        // Taking back the check made at 5000: one failure less, the last failure time as before it.
        await store.withdrawAuthFailure('ip:192.0.2.1', 5000, 2000);
        assert.deepEqual((await peek(store, ['ip:192.0.2.1']))[0], { key: 'ip:192.0.2.1', failures: 2, lastFailure: 2000 });
        // A later failure set the time meanwhile: it stays.
        await store.beginAuthAttempt(k(['ip:192.0.2.1']), 6000, () => 0);
        await store.beginAuthAttempt(k(['ip:192.0.2.1']), 7000, () => 0);
        await store.withdrawAuthFailure('ip:192.0.2.1', 6000, 2000);
        assert.deepEqual((await peek(store, ['ip:192.0.2.1']))[0], { key: 'ip:192.0.2.1', failures: 3, lastFailure: 7000 });
        // Down to none: the key is as if never seen; taking back more does nothing.
        for (let i = 0; i < 5; i++) await store.withdrawAuthFailure('ip:192.0.2.1', 1, 0);
        assert.deepEqual((await peek(store, ['ip:192.0.2.1']))[0], { key: 'ip:192.0.2.1', failures: 0, lastFailure: 0 });

        await store.clearAuthFailures('user:alice');
        assert.deepEqual((await peek(store, ['user:alice']))[0], { key: 'user:alice', failures: 0, lastFailure: 0 });
        await store.clearAuthFailures('user:nobody');

        await store.beginAuthAttempt(k(['user:old']), 100, () => 0);
        await store.beginAuthAttempt(k(['user:new']), 9000, () => 0);
        assert.ok((await store.deleteAuthFailuresBefore(8000)) >= 1);
        assert.deepEqual(await peek(store, ['user:old', 'user:new']), [{ key: 'user:old', failures: 0, lastFailure: 0 }, { key: 'user:new', failures: 1, lastFailure: 9000 }]);
      }));

    it('a record whose last failure is before its forgetBefore reads, and counts on, as never seen', () =>
      withStore(async ({ store }) => {
        for (let t = 1; t <= 3; t++) await store.beginAuthAttempt(k(keys), t * 1000, () => 0);
        // The address's failures (the last at 3000) are forgotten before 3500, the user's are not.
        const r = await store.beginAuthAttempt([{ key: 'user:alice', forgetBefore: 0 }, { key: 'ip:192.0.2.1', forgetBefore: 3500 }], 4000, () => 0);
        assert.deepEqual(r, { allowed: true, before: [{ key: 'user:alice', failures: 3, lastFailure: 3000 }, { key: 'ip:192.0.2.1', failures: 0, lastFailure: 0 }] });
        assert.deepEqual(await peek(store, keys), [{ key: 'user:alice', failures: 4, lastFailure: 4000 }, { key: 'ip:192.0.2.1', failures: 1, lastFailure: 4000 }]);
      }));

    it('decides parallel checks one after another: exactly the free ones pass', () =>
      withStore(async ({ store }) => {
        // At most 5 failures before a wait (as the real policy, without the back-off's clock).
        const policy = (records: Array<{ failures: number }>) => (records.some((r) => r.failures >= 5) ? Number.MAX_SAFE_INTEGER : 0);
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.beginAuthAttempt(k(['user:racer', `ip:198.51.100.${i}`]), 1000 + i, policy)));
        assert.equal(results.filter((r) => r.allowed).length, 5);
        const counts = results.flatMap((r) => (r.allowed ? [r.before[0]!.failures] : [])).sort((a, b) => a - b);
        assert.deepEqual(counts, [0, 1, 2, 3, 4], 'each allowed check saw the ones before it');
        assert.equal((await peek(store, ['user:racer']))[0]!.failures, 5);
      }));
  });
}
