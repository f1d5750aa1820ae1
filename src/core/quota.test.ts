/**
 * QuotaGuard.keepAlive (issue 15 #6): a flowing upload renews its reservation, at most every 30 s.
 * QuotaGuard.status (issue 18): the one quota level, shared with administration.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { QuotaGuard, RESERVATION_TTL_MS } from './quota.js';
import type { MetadataStore, TenancyRecord, UsageRecord } from '../metadata/store.js';
import { quotaStatus } from '../tenancy/quota.js';

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

describe('QuotaGuard.status', () => {
  // Issue 18: the S3 headers (this guard) and the admin API / CLI / portal (tenancy/quota.ts) used to
  // compute the level twice, one rounding and one flooring: at 79.96 % S3 said "ok" and the admin API "warning".
  const tenancy = (quotaBytes: number | null, quotaObjects: number | null = null) =>
    ({ id: 't1', name: 'lab', quotaBytes, quotaObjects, quotaAction: 'read-delete' }) as TenancyRecord;
  const guardWith = (usage: UsageRecord) => new QuotaGuard({ getTenancyUsage: async () => usage } as unknown as MetadataStore);

  it('says what administration says, at every edge (79.96 %, 80 %, 94.99 %, 100 %, over)', async () => {
    const cases: Array<[UsageRecord, TenancyRecord, number, string]> = [
      [{ bytes: 7996, objects: 1 }, tenancy(10_000), 79.9, 'ok'],
      [{ bytes: 8000, objects: 1 }, tenancy(10_000), 80, 'warning'],
      [{ bytes: 9499, objects: 1 }, tenancy(10_000), 94.9, 'warning'],
      [{ bytes: 9999, objects: 1 }, tenancy(10_000), 99.9, 'critical'],
      [{ bytes: 10_000, objects: 1 }, tenancy(10_000), 100, 'full'],
      [{ bytes: 12_000, objects: 1 }, tenancy(10_000), 120, 'full'],
      [{ bytes: 570, objects: 1 }, tenancy(1000), 57, 'ok'],
      [{ bytes: 1, objects: 3998 }, tenancy(1000, 5000), 79.9, 'ok'],
      [{ bytes: 0, objects: 0 }, tenancy(0), 100, 'full'],
    ];
    for (const [usage, t, percent, level] of cases) {
      assert.deepEqual(await guardWith(usage).status(t), { percent, level }, `S3 view of ${JSON.stringify(usage)}`);
      assert.deepEqual(quotaStatus(usage, t), { percent, level }, `admin view of ${JSON.stringify(usage)}`);
    }
    assert.equal(await guardWith({ bytes: 5, objects: 5 }).status(tenancy(null)), undefined);
  });
});
