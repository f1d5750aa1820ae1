/** QuotaGuard.keepAlive (issue 15 #6): a flowing upload renews its reservation, at most every 30 s. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QuotaGuard, RESERVATION_TTL_MS } from './quota.js';
import type { MetadataStore } from '../metadata/store.js';

describe('QuotaGuard.keepAlive', () => {
  it('renews while bytes keep arriving, throttled, and never for a write without a reservation', async () => {
    const renewals: Array<[string, number]> = [];
    const metadata = { renewQuota: async (id: string, ttl: number) => (renewals.push([id, ttl]), true) } as unknown as MetadataStore;
    const guard = new QuotaGuard(metadata);
    let now = 1_000_000;
    const touch = guard.keepAlive({ enforce: true, reservationId: 'r1' }, () => now);
    for (let i = 0; i < 100; i++) touch(); // a burst of chunks: no renewal yet
    assert.deepEqual(renewals, []);
    now += 31_000;
    touch();
    touch();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(renewals, [['r1', RESERVATION_TTL_MS]]);
    now += 31_000;
    touch();
    await new Promise((r) => setImmediate(r));
    assert.equal(renewals.length, 2);
    guard.keepAlive({ enforce: true }, () => now)();
    guard.keepAlive(undefined, () => now)();
    assert.equal(renewals.length, 2);
  });
});
