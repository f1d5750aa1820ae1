/** Table tests for quota-rule.ts: the write rule both stores apply (conditions, limits, reservations, credits). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conditionHolds, creditFor, estimatePartCharge, needsReservations, overQuota, trimCredits, type QuotaCounters } from './quota-rule.js';
import type { WriteCondition } from './store.js';

describe('conditionHolds', () => {
  const cases: Array<[string, { etag: string } | undefined, WriteCondition | undefined, boolean]> = [
    ['no condition, no object', undefined, undefined, true],
    ['no condition over an object', { etag: '"a"' }, undefined, true],
    ['If-None-Match * with no object', undefined, { ifNoneMatch: '*' }, true],
    ['If-None-Match * over an object', { etag: '"a"' }, { ifNoneMatch: '*' }, false],
    ['If-Match with no object', undefined, { ifMatch: '"a"' }, false],
    ['If-Match * over an object', { etag: '"a"' }, { ifMatch: ' * ' }, true],
    ['If-Match quoted = quoted', { etag: '"a"' }, { ifMatch: '"a"' }, true],
    ['If-Match unquoted = quoted', { etag: '"a"' }, { ifMatch: 'a' }, true],
    ['If-Match quoted = unquoted', { etag: 'a' }, { ifMatch: ' "a" ' }, true],
    ['If-Match differs', { etag: '"a"' }, { ifMatch: '"b"' }, false],
    ['both, If-None-Match refuses', { etag: '"a"' }, { ifNoneMatch: '*', ifMatch: '"a"' }, false],
  ];
  for (const [name, current, c, want] of cases) it(name, () => assert.equal(conditionHolds(current, c), want));
});

const free: QuotaCounters = { usedBytes: 0, usedObjects: 0, quotaBytes: null, quotaObjects: null, reservedBytes: 0, reservedObjects: 0 };
const at = (o: Partial<QuotaCounters>): QuotaCounters => ({ ...free, ...o });

describe('needsReservations', () => {
  const cases: Array<[string, Partial<QuotaCounters>, number, number, boolean]> = [
    ['no quota', {}, 10, 1, false],
    ['bytes quota, bytes grow', { quotaBytes: 100 }, 10, 0, true],
    ['bytes quota, only objects grow', { quotaBytes: 100 }, 0, 1, false],
    ['bytes quota, bytes shrink', { quotaBytes: 100 }, -10, 0, false],
    ['objects quota, objects grow', { quotaObjects: 5 }, 0, 1, true],
    ['objects quota, objects shrink, bytes grow', { quotaObjects: 5 }, 10, -1, false],
    ['a zero quota still limits', { quotaBytes: 0 }, 1, 0, true],
  ];
  for (const [name, limits, bytes, objects, want] of cases) it(name, () => assert.equal(needsReservations(at(limits), bytes, objects), want));
});

describe('overQuota', () => {
  type Want = ReturnType<typeof overQuota>;
  const refused = (scope: 'bucket' | 'tenancy', kind: 'bytes' | 'objects', limit: number, used: number, needed: number): Want => ({ ok: false, reason: 'quota-exceeded', scope, kind, limit, used, needed });
  const cases: Array<[string, Partial<QuotaCounters>, Partial<QuotaCounters>, number, number, Want]> = [
    ['no quotas', {}, {}, 1e12, 1e6, undefined],
    ['fits exactly', { usedBytes: 60, quotaBytes: 100 }, {}, 40, 1, undefined],
    ['one byte over the bucket', { usedBytes: 60, quotaBytes: 100 }, {}, 41, 1, refused('bucket', 'bytes', 100, 60, 41)],
    ['reservations of others count', { usedBytes: 60, reservedBytes: 30, quotaBytes: 100 }, {}, 11, 0, refused('bucket', 'bytes', 100, 90, 11)],
    ['tenancy refuses when the bucket has room', { quotaBytes: 1000 }, { usedBytes: 95, quotaBytes: 100 }, 10, 0, refused('tenancy', 'bytes', 100, 95, 10)],
    ['bucket before tenancy', { usedBytes: 99, quotaBytes: 100 }, { usedBytes: 99, quotaBytes: 100 }, 2, 0, refused('bucket', 'bytes', 100, 99, 2)],
    ['bytes before objects', { usedBytes: 99, quotaBytes: 100, usedObjects: 5, quotaObjects: 5 }, {}, 2, 1, refused('bucket', 'bytes', 100, 99, 2)],
    ['objects full', { usedObjects: 4, reservedObjects: 1, quotaObjects: 5 }, {}, 0, 1, refused('bucket', 'objects', 5, 5, 1)],
    ['a shrinking write passes a quota already passed', { usedBytes: 200, quotaBytes: 100 }, { usedBytes: 200, quotaBytes: 100 }, -50, 0, undefined],
    ['an overwrite adding nothing passes a full tenancy', {}, { usedBytes: 100, usedObjects: 9, quotaBytes: 100, quotaObjects: 9 }, 0, 0, undefined],
    ['bytes shrink but an object is added to a full count', {}, { usedObjects: 9, quotaObjects: 9 }, -10, 1, refused('tenancy', 'objects', 9, 9, 1)],
    ['zero quota refuses any growth', { quotaBytes: 0 }, {}, 1, 0, refused('bucket', 'bytes', 0, 0, 1)],
  ];
  for (const [name, bucket, tenancy, bytes, objects, want] of cases) it(name, () => assert.deepEqual(overQuota(at(bucket), at(tenancy), bytes, objects), want));
});

describe('upload credits', () => {
  const credit: Array<[number, number, number, number]> = [
    // partBytes, objectBytes, othersCredit → credit
    [10, 100, 0, 10],
    [150, 100, 0, 100],
    [50, 100, 80, 20],
    [50, 100, 120, 0],
    [50, 0, 0, 0],
  ];
  for (const [part, object, others, want] of credit) it(`creditFor(${part}, ${object}, ${others}) = ${want}`, () => assert.equal(creditFor(part, object, others), want));

  it('trimCredits cuts in order down to the budget and reports the cut', () => {
    const credits = [{ uploadId: 'a', bytes: 40 }, { uploadId: 'b', bytes: 40 }, { uploadId: 'c', bytes: 20 }];
    assert.deepEqual(trimCredits(credits, 100), { changed: [], cut: 0 });
    assert.deepEqual(trimCredits(credits, 50), { changed: [{ uploadId: 'b', bytes: 10 }, { uploadId: 'c', bytes: 0 }], cut: 50 });
    assert.deepEqual(trimCredits(credits, -5), { changed: [{ uploadId: 'a', bytes: 0 }, { uploadId: 'b', bytes: 0 }, { uploadId: 'c', bytes: 0 }], cut: 100 });
  });

  const estimate: Array<[number, number, number, number, number]> = [
    // size, oldPartSize, objectBytes, keyCredit → charge
    [100, 0, 0, 0, 100],
    [100, 0, 60, 0, 40],
    [100, 0, 200, 0, 0],
    [100, 0, 200, 150, 50],
    [100, 120, 0, 0, 0],
    [100, 50, 30, 0, 20],
  ];
  for (const [size, old, object, credit, want] of estimate) {
    it(`estimatePartCharge(${size}, ${old}, ${object}, ${credit}) = ${want}`, () => assert.equal(estimatePartCharge(size, old, object, credit), want));
  }
});
