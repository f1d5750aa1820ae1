/** MetadataStore contract: quota: reservations, enforcement inside the write, upload credits (quota-rule.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import type { PutObjectResult } from '../store.js';
import { obj, upload, sleep, type ContractContext } from './fixture.js';

export function quotaContract({ withStore, assertUsage, queued, open }: ContractContext): void {
  describe('quota', () => {
    const big = (bucketId: string, key: string, size: number) => obj(bucketId, key, { size, parts: [{ blobId: newId(), size }] });
    const enforce = { enforce: true };

    it('reserves without limits; refuses past a tenancy quota; release frees the room and is idempotent', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const r0 = await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 1e12, objects: 1, ttlMs: 60_000 });
        assert.ok(r0.ok);
        assert.deepEqual(r0.reservation, { id: r0.reservation.id, tenancyId: tenancy.id, bucketId: bucket.id, bytes: 1e12, objects: 1 });
        await store.releaseQuota(r0.reservation.id);
        await store.updateTenancy(tenancy.id, { quotaBytes: 100 });
        await store.putObject(big(bucket.id, 'a', 30));
        const r1 = await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 50, objects: 1, ttlMs: 60_000 });
        assert.ok(r1.ok);
        // used counts the live reservations: 30 stored + 50 reserved.
        assert.deepEqual(await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 21, objects: 1, ttlMs: 60_000 }),
          { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'bytes', limit: 100, used: 80, needed: 21 });
        const r2 = await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 20, objects: 1, ttlMs: 60_000 });
        assert.ok(r2.ok, 'exactly up to the quota');
        assert.equal((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 1, objects: 0, ttlMs: 60_000 })).ok, false);
        // Reserving nothing of a full kind is not refused.
        assert.ok((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 0, objects: 1, ttlMs: 60_000 })).ok);
        await store.releaseQuota(r1.reservation.id);
        await store.releaseQuota(r1.reservation.id);
        await store.releaseQuota('never-existed');
        assert.ok((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 50, objects: 1, ttlMs: 60_000 })).ok);
        // Reservations are not usage.
        await assertUsage(store, { tenancyId: tenancy.id, bucketId: bucket.id }, 30, 1);
      }));

    it('renews live reservations only; an expired one stops counting; clearing drops them all (issue 15 #6)', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        await store.updateTenancy(tenancy.id, { quotaBytes: 100 });
        const short = await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 60, objects: 0, ttlMs: 300 });
        assert.ok(short.ok);
        assert.equal(await store.renewQuota(short.reservation.id, 60_000), true, 'a live reservation is extended');
        await new Promise((r) => setTimeout(r, 400));
        // Renewed: it still holds its room after its first expiry would have passed.
        assert.equal((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 50, objects: 0, ttlMs: 60_000 })).ok, false);
        const lapsing = await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 40, objects: 0, ttlMs: 200 });
        assert.ok(lapsing.ok);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(await store.renewQuota(lapsing.reservation.id, 60_000), false, 'an expired reservation is not revived');
        assert.ok((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 40, objects: 0, ttlMs: 60_000 })).ok, 'its room is back');
        assert.equal(await store.renewQuota('never-existed', 60_000), false);
        assert.ok((await store.clearQuotaReservations()) >= 2);
        assert.ok((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 100, objects: 0, ttlMs: 60_000 })).ok, 'all room is back');
      }));

    it('checks object-count quotas and bucket quotas inside the tenancy quota', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const other = await store.createBucket({ tenancyId: tenancy.id, name: 'other', ownerId: 'o', region: 'r' });
        assert.ok(other.created);
        await store.updateTenancy(tenancy.id, { quotaBytes: 100, quotaObjects: 3 });
        await store.setBucketQuota(bucket.id, { bytes: 40, objects: null });
        const res = (bucketId: string, bytes: number, objects = 1) => store.reserveQuota({ tenancyId: tenancy.id, bucketId, bytes, objects, ttlMs: 60_000 });
        assert.deepEqual(await res(bucket.id, 41), { ok: false, reason: 'quota-exceeded', scope: 'bucket', kind: 'bytes', limit: 40, used: 0, needed: 41 });
        assert.deepEqual(await store.putObject(big(bucket.id, 'x', 41), undefined, enforce),
          { ok: false, reason: 'quota-exceeded', scope: 'bucket', kind: 'bytes', limit: 40, used: 0, needed: 41 });
        assert.ok((await store.putObject(big(bucket.id, 'x', 40), undefined, enforce)).ok);
        // The other bucket has no quota of its own but shares the tenancy's.
        assert.deepEqual(await store.putObject(big(other.bucket.id, 'y', 61), undefined, enforce),
          { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'bytes', limit: 100, used: 40, needed: 61 });
        assert.ok((await store.putObject(big(other.bucket.id, 'y', 30), undefined, enforce)).ok);
        assert.ok((await store.putObject(big(other.bucket.id, 'z', 0), undefined, enforce)).ok);
        assert.deepEqual(await res(other.bucket.id, 0), { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'objects', limit: 3, used: 3, needed: 1 });
        assert.deepEqual(await store.putObject(big(other.bucket.id, 'w', 0), undefined, enforce),
          { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'objects', limit: 3, used: 3, needed: 1 });
        // Overwriting a key adds no object.
        assert.ok((await store.putObject(big(other.bucket.id, 'z', 5), undefined, enforce)).ok);
        assert.deepEqual(await store.getTenancyUsage(tenancy.id), { bytes: 75, objects: 3 });
        // Without enforce (e.g. an administrator's restore) the store does not check.
        assert.ok((await store.putObject(big(bucket.id, 'admin', 500))).ok);
        assert.deepEqual(await store.getTenancyUsage(tenancy.id), { bytes: 575, objects: 4 });
      }));

    it('50 concurrent reservations never exceed a small quota', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        await store.updateTenancy(tenancy.id, { quotaBytes: 95 });
        const results = await Promise.all(Array.from({ length: 50 }, () =>
          store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 10, objects: 1, ttlMs: 60_000 })));
        const granted = results.filter((r) => r.ok);
        assert.equal(granted.length, 9);
        assert.ok(results.every((r) => r.ok || (r.reason === 'quota-exceeded' && r.scope === 'tenancy' && r.kind === 'bytes' && r.limit === 95)));
      }));

    it('50 concurrent reserve-then-put writers: usage never passes the quota and equals what is stored', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        await store.updateTenancy(tenancy.id, { quotaBytes: 1000 });
        const outcomes = await Promise.all(Array.from({ length: 50 }, async (_, i): Promise<PutObjectResult | 'refused'> => {
          const r = await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 100, objects: 1, ttlMs: 60_000 });
          if (!r.ok) return 'refused';
          await sleep(i % 5);
          return store.putObject(big(bucket.id, `k${i}`, 100), undefined, { enforce: true, reservationId: r.reservation.id });
        }));
        const stored = outcomes.filter((o) => o !== 'refused' && o.ok).length;
        assert.equal(stored, 10);
        assert.ok(outcomes.every((o) => o === 'refused' || o.ok), 'a reserved write is never refused');
        await assertUsage(store, { tenancyId: tenancy.id, bucketId: bucket.id }, 1000, 10);
        assert.equal((await store.scanObjects(bucket.id, { prefix: '', start: '', limit: 100 })).length, 10);
        // Every reservation was released by its write: the room is really gone only through the objects.
        await store.deleteObject(bucket.id, 'k0');
        assert.ok((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 100, objects: 1, ttlMs: 60_000 })).ok);
      }));

    it('expired reservations stop counting', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        await store.updateTenancy(tenancy.id, { quotaBytes: 100 });
        assert.ok((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 100, objects: 1, ttlMs: 1 })).ok);
        const long = await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 0, objects: 1, ttlMs: 60_000 });
        assert.ok(long.ok);
        await sleep(20);
        const again = await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 100, objects: 1, ttlMs: 60_000 });
        assert.ok(again.ok);
        // ...in the writes' check too.
        await store.releaseQuota(again.reservation.id);
        assert.ok((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 100, objects: 1, ttlMs: 1 })).ok);
        await sleep(20);
        assert.ok((await store.putObject(big(bucket.id, 'k', 100), undefined, enforce)).ok);
      }));

    it('a write uses its own reservation’s room and releases it whatever the outcome', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        await store.updateTenancy(tenancy.id, { quotaBytes: 100 });
        const reserve = async (bytes: number) => {
          const r = await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes, objects: 1, ttlMs: 60_000 });
          assert.ok(r.ok);
          return r.reservation.id;
        };
        // Own reservation of 100 does not block its own write of 100.
        assert.ok((await store.putObject(big(bucket.id, 'a', 100), undefined, { enforce: true, reservationId: await reserve(100) })).ok);
        await store.deleteObject(bucket.id, 'a');
        // Released on a failed precondition...
        await store.putObject(big(bucket.id, 'b', 10));
        assert.deepEqual(await store.putObject(big(bucket.id, 'b', 10), { ifNoneMatch: '*' }, { enforce: true, reservationId: await reserve(90) }),
          { ok: false, reason: 'precondition-failed' });
        // ...on a refusal (the write is bigger than it reserved, and another writer holds the rest)...
        const held = await reserve(50);
        assert.deepEqual(await store.putObject(big(bucket.id, 'c', 60), undefined, { enforce: true, reservationId: await reserve(40) }),
          { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'bytes', limit: 100, used: 60, needed: 60 });
        await store.releaseQuota(held);
        // ...and on success.
        assert.ok((await store.putObject(big(bucket.id, 'c', 45), undefined, { enforce: true, reservationId: await reserve(45) })).ok);
        assert.ok((await store.reserveQuota({ tenancyId: tenancy.id, bucketId: bucket.id, bytes: 45, objects: 1, ttlMs: 60_000 })).ok);
        await assertUsage(store, { tenancyId: tenancy.id, bucketId: bucket.id }, 55, 2);
      }));

    it('a refused write fails alone: the rest of its batch commits', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        await store.updateTenancy(tenancy.id, { quotaBytes: 100 });
        const results = await Promise.all([
          store.putObject(big(bucket.id, 'a', 60), undefined, enforce),
          store.putObject(big(bucket.id, 'b', 60), undefined, enforce),
          store.putObject(big(bucket.id, 'c', 40), undefined, enforce),
          store.putObject(big(bucket.id, 'd', 1), undefined, enforce),
        ]);
        // Writes to different keys have no promised order (PostgreSQL runs them concurrently), so assert
        // what must hold whatever the order: refusals fail alone and the quota is never passed.
        const sizes = [60, 60, 40, 1];
        const keys = ['a', 'b', 'c', 'd'];
        let stored = 0;
        let count = 0;
        for (const [i, r] of results.entries()) {
          if (r.ok) {
            stored += sizes[i]!;
            count++;
          } else {
            assert.equal(r.reason, 'quota-exceeded');
            if (r.reason === 'quota-exceeded') {
              assert.equal(r.scope, 'tenancy');
              assert.equal(r.kind, 'bytes');
              assert.equal(r.limit, 100);
              assert.ok(r.used + sizes[i]! > 100, `refused ${keys[i]} would have fit`);
            }
            assert.equal(await store.getObject(bucket.id, keys[i]!), undefined);
          }
        }
        assert.ok(results.some((r) => !r.ok), 'something was refused');
        assert.ok(stored <= 100);
        await assertUsage(store, { tenancyId: tenancy.id, bucketId: bucket.id }, stored, count);
        assert.equal((await queued(store)).size, 0);
      }));

    it('a full tenancy still accepts deletes, shrinking overwrites and aborts', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const f = { tenancyId: tenancy.id, bucketId: bucket.id };
        await store.putObject(big(bucket.id, 'a', 70));
        await store.putObject(big(bucket.id, 'b', 50));
        const up = await store.createUpload(upload(bucket.id, 'mp'));
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: newId(), size: 30, etag: '"1"', checksum: null });
        await store.updateTenancy(tenancy.id, { quotaBytes: 100, quotaObjects: 2 }); // now over: 150 bytes
        await assertUsage(store, f, 150, 2);
        assert.equal((await store.putObject(big(bucket.id, 'new', 0), undefined, enforce)).ok, false);
        assert.equal((await store.putObject(big(bucket.id, 'a', 71), undefined, enforce)).ok, false);
        assert.ok((await store.putObject(big(bucket.id, 'a', 60), undefined, enforce)).ok, 'shrinking overwrite');
        assert.ok((await store.putObject(big(bucket.id, 'a', 60), undefined, enforce)).ok, 'same-size overwrite');
        assert.ok((await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: newId(), size: 20, etag: '"1b"', checksum: null }, enforce)).ok, 'shrinking part');
        assert.equal((await store.putUploadPart({ uploadId: up.uploadId, partNumber: 2, blobId: newId(), size: 1, etag: '"2"', checksum: null }, enforce)).ok, false);
        await assertUsage(store, f, 130, 2);
        const del = await Promise.all([store.deleteObject(bucket.id, 'b'), store.abortUpload(up.uploadId)]);
        assert.ok(del[0].ok && del[1]);
        await assertUsage(store, f, 60, 1);
        assert.ok((await store.putObject(big(bucket.id, 'c', 40), undefined, enforce)).ok, 'room again after deleting');
        await assertUsage(store, f, 100, 2);
      }));

    it('counts multipart parts; completion never grows bytes but adds an object for a new key', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const f = { tenancyId: tenancy.id, bucketId: bucket.id };
        await store.updateTenancy(tenancy.id, { quotaBytes: 100, quotaObjects: 1 });
        const up = await store.createUpload(upload(bucket.id, 'mp'));
        const [p1, p2] = [newId(), newId()];
        assert.ok((await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: p1, size: 60, etag: '"1"', checksum: null }, enforce)).ok);
        assert.deepEqual(await store.putUploadPart({ uploadId: up.uploadId, partNumber: 2, blobId: newId(), size: 41, etag: '"2"', checksum: null }, enforce),
          { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'bytes', limit: 100, used: 60, needed: 41 });
        assert.ok((await store.putUploadPart({ uploadId: up.uploadId, partNumber: 2, blobId: p2, size: 40, etag: '"2"', checksum: null }, enforce)).ok);
        await assertUsage(store, f, 100, 0);
        // The object count is full (another object), so completing a new key is refused and keeps the upload.
        await store.putObject(big(bucket.id, 'other', 0));
        const o = obj(bucket.id, 'mp', { size: 60, parts: [{ blobId: p1, size: 60, etag: '"1"' }] });
        assert.deepEqual(await store.completeUpload(up.uploadId, o, undefined, enforce),
          { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'objects', limit: 1, used: 1, needed: 1 });
        assert.ok(await store.getUpload(up.uploadId));
        await store.deleteObject(bucket.id, 'other');
        // Completing with part 2 unused frees its 40 bytes.
        assert.ok((await store.completeUpload(up.uploadId, o, undefined, enforce)).ok);
        await assertUsage(store, f, 60, 1);
        // Completing onto an existing key adds no object, even at the object quota.
        const up2 = await store.createUpload(upload(bucket.id, 'mp'));
        const q = newId();
        assert.ok((await store.putUploadPart({ uploadId: up2.uploadId, partNumber: 1, blobId: q, size: 40, etag: '"q"', checksum: null }, enforce)).ok);
        assert.ok((await store.completeUpload(up2.uploadId, obj(bucket.id, 'mp', { size: 40, parts: [{ blobId: q, size: 40, etag: '"q"' }] }), undefined, enforce)).ok);
        await assertUsage(store, f, 40, 1);
      }));

    it('an upload over an existing object is charged only what it adds; completion settles, abort gives back', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const f = { tenancyId: tenancy.id, bucketId: bucket.id };
        const part = (uploadId: string, partNumber: number, size: number, blobId = newId()) =>
          store.putUploadPart({ uploadId, partNumber, blobId, size, etag: `"${partNumber}"`, checksum: null }, enforce);
        await store.putObject(big(bucket.id, 'k', 60));
        await store.updateTenancy(tenancy.id, { quotaBytes: 100 });
        // 60 of 100 in use: re-uploading the 60-byte object needs no room beyond the 40 left.
        const up = await store.createUpload(upload(bucket.id, 'k'));
        const p1 = newId();
        assert.ok((await part(up.uploadId, 1, 50, p1)).ok);
        assert.equal(await store.getKeyCredit(bucket.id, 'k'), 50);
        await assertUsage(store, f, 60, 1);
        // Beyond the object's size the parts count: 10 credited + 40 charged fits exactly, one more does not.
        assert.deepEqual(await part(up.uploadId, 2, 51), { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'bytes', limit: 100, used: 60, needed: 41 });
        const p2 = newId();
        assert.ok((await part(up.uploadId, 2, 50, p2)).ok);
        await assertUsage(store, f, 100, 1);
        assert.equal(await store.getKeyCredit(bucket.id, 'k'), 60);
        // Re-sending part 2 smaller gives the difference back.
        const p2b = newId();
        assert.ok((await part(up.uploadId, 2, 30, p2b)).ok);
        await assertUsage(store, f, 80, 1);
        // Completing replaces the object: usage is the new object's size, nothing credited remains.
        const done = await store.completeUpload(up.uploadId, obj(bucket.id, 'k', { size: 80, parts: [{ blobId: p1, size: 50, etag: '"1"' }, { blobId: p2b, size: 30, etag: '"2"' }] }), undefined, enforce);
        assert.ok(done.ok);
        await assertUsage(store, f, 80, 1);
        assert.equal(await store.getKeyCredit(bucket.id, 'k'), 0);
        // Aborting an upload over the object gives back only what was charged.
        const up2 = await store.createUpload(upload(bucket.id, 'k'));
        assert.ok((await part(up2.uploadId, 1, 90)).ok);
        await assertUsage(store, f, 90, 1);
        assert.ok(await store.abortUpload(up2.uploadId));
        await assertUsage(store, f, 80, 1);
        const rec = await store.recountUsage(tenancy.id, false);
        assert.deepEqual(rec.counted, rec.recorded);
      }));

    it('credits never exceed the object: shrinking overwrites, deletes and other completions charge them back', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const f = { tenancyId: tenancy.id, bucketId: bucket.id };
        const part = (uploadId: string, partNumber: number, size: number) =>
          store.putUploadPart({ uploadId, partNumber, blobId: newId(), size, etag: `"${partNumber}"`, checksum: null }, enforce);
        await store.putObject(big(bucket.id, 'k', 50));
        await store.updateTenancy(tenancy.id, { quotaBytes: 100 });
        // Two uploads over one 50-byte object share its 50 bytes of credit.
        const a = await store.createUpload(upload(bucket.id, 'k'));
        const b = await store.createUpload(upload(bucket.id, 'k'));
        assert.ok((await part(a.uploadId, 1, 30)).ok);
        assert.ok((await part(b.uploadId, 1, 30)).ok);
        assert.equal(await store.getKeyCredit(bucket.id, 'k'), 50);
        await assertUsage(store, f, 60, 1);
        await store.putObject(big(bucket.id, 'other', 20));
        await assertUsage(store, f, 80, 2);
        // A smaller object offers 10: 40 of the credit becomes usage, as much as the object gave back.
        assert.ok((await store.putObject(big(bucket.id, 'k', 10), undefined, enforce)).ok, 'a shrinking overwrite never grows usage');
        assert.equal(await store.getKeyCredit(bucket.id, 'k'), 10);
        await assertUsage(store, f, 80, 2);
        assert.ok((await store.putObject(big(bucket.id, 'k', 20), undefined, enforce)).ok);
        await assertUsage(store, f, 90, 2);
        await store.deleteObject(bucket.id, 'other');
        // Deleting the object: the uploads now add all their bytes; usage does not grow.
        assert.ok((await store.deleteObject(bucket.id, 'k')).ok);
        assert.equal(await store.getKeyCredit(bucket.id, 'k'), 0);
        await assertUsage(store, f, 60, 0);
        // A part to an upload whose object is gone is charged in full.
        assert.ok((await part(a.uploadId, 2, 10)).ok);
        await assertUsage(store, f, 70, 0);
        // A new object at the key is a plain write...
        assert.deepEqual(await store.putObject(big(bucket.id, 'k', 40), undefined, enforce),
          { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'bytes', limit: 100, used: 70, needed: 40 });
        assert.ok((await store.putObject(big(bucket.id, 'k', 30), undefined, enforce)).ok);
        await assertUsage(store, f, 100, 1);
        // ...which the uploads' next parts claim credit against: usage falls to what completing them leaves.
        assert.ok((await part(b.uploadId, 2, 10)).ok);
        assert.equal(await store.getKeyCredit(bucket.id, 'k'), 30);
        await assertUsage(store, f, 80, 1);
        // Completing one upload trims the other's credit to the new object.
        const small = (await store.listUploadParts(a.uploadId, 0, 10))[1]!;
        assert.ok((await store.completeUpload(a.uploadId, obj(bucket.id, 'k', { size: small.size, parts: [{ blobId: small.blobId, size: small.size, etag: small.etag }] }), undefined, enforce)).ok);
        assert.equal(await store.getKeyCredit(bucket.id, 'k'), 10, "b's credit fits the 10-byte object");
        await assertUsage(store, f, 40, 1);
        const rec = await store.recountUsage(tenancy.id, false);
        assert.deepEqual(rec.counted, rec.recorded);
        assert.ok(await store.abortUpload(b.uploadId));
        await assertUsage(store, f, 10, 1);
      }));

    it('concurrent parts of uploads over one object near a full quota never pass it', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        await store.putObject(big(bucket.id, 'k', 100));
        await store.putObject(big(bucket.id, 'fill', 50));
        await store.updateTenancy(tenancy.id, { quotaBytes: 210 });
        // Three uploads race to re-upload the 100-byte object: 100 bytes of credit and 60 of room between them.
        const ups = await Promise.all([0, 1, 2].map(() => store.createUpload(upload(bucket.id, 'k'))));
        const results = await Promise.all(ups.flatMap((u) => [1, 2, 3, 4].map((n) =>
          store.putUploadPart({ uploadId: u.uploadId, partNumber: n, blobId: newId(), size: 20, etag: `"${n}"`, checksum: null }, enforce))));
        const stored = results.filter((r) => r.ok).length;
        assert.equal(stored * 20, 160, 'exactly credit + room');
        const usage = await store.getTenancyUsage(tenancy.id);
        assert.equal(usage.bytes, 210);
        assert.equal(await store.getKeyCredit(bucket.id, 'k'), 100);
        const rec = await store.recountUsage(tenancy.id, false);
        assert.deepEqual(rec.counted, rec.recorded);
      }));

    it('remembers what a completed upload became, until the key is completed again', () =>
      withStore(async ({ store, bucket }) => {
        const up = await store.createUpload(upload(bucket.id, 'k'));
        const blob = newId();
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: blob, size: 5, etag: '"1"', checksum: null });
        const done = await store.completeUpload(up.uploadId, obj(bucket.id, 'k', { size: 5, parts: [{ blobId: blob, size: 5, etag: '"1"' }] }));
        assert.ok(done.ok);
        assert.deepEqual(await store.getCompletedUpload(up.uploadId), { uploadId: up.uploadId, bucketId: bucket.id, key: 'k', etag: done.object.etag, lastModified: done.object.lastModified });
        assert.equal(await store.getCompletedUpload('never'), undefined);
        const up2 = await store.createUpload(upload(bucket.id, 'k'));
        const blob2 = newId();
        await store.putUploadPart({ uploadId: up2.uploadId, partNumber: 1, blobId: blob2, size: 5, etag: '"2"', checksum: null });
        assert.ok((await store.completeUpload(up2.uploadId, obj(bucket.id, 'k', { size: 5, parts: [{ blobId: blob2, size: 5, etag: '"2"' }] }))).ok);
        assert.equal(await store.getCompletedUpload(up.uploadId), undefined);
        assert.ok(await store.getCompletedUpload(up2.uploadId));
      }));

    it('recountUsage matches the counters after a mixed workload', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const other = await store.createBucket({ tenancyId: tenancy.id, name: 'other', ownerId: 'o', region: 'r' });
        assert.ok(other.created);
        const empty = await store.createBucket({ tenancyId: tenancy.id, name: 'empty', ownerId: 'o', region: 'r' });
        assert.ok(empty.created);
        await Promise.all(Array.from({ length: 40 }, (_, i) => store.putObject(big(i % 3 ? bucket.id : other.bucket.id, `k${i % 25}`, i + 1))));
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.deleteObject(bucket.id, `k${i * 2}`)));
        const up = await store.createUpload(upload(bucket.id, 'mp'));
        const p = newId();
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: p, size: 7, etag: '"a"', checksum: null });
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 2, blobId: newId(), size: 9, etag: '"b"', checksum: null });
        const up2 = await store.createUpload(upload(other.bucket.id, 'open'));
        await store.putUploadPart({ uploadId: up2.uploadId, partNumber: 1, blobId: newId(), size: 11, etag: '"c"', checksum: null });
        await store.completeUpload(up.uploadId, obj(bucket.id, 'mp', { size: 7, parts: [{ blobId: p, size: 7, etag: '"a"' }] }));

        const rec = await store.recountUsage(tenancy.id, false);
        const usage = await store.getTenancyUsage(tenancy.id);
        assert.deepEqual(rec.recorded, usage);
        assert.deepEqual(rec.counted, usage);
        assert.deepEqual(new Set(rec.buckets.map((b) => b.bucketId)), new Set([bucket.id, other.bucket.id, empty.bucket.id]));
        for (const b of rec.buckets) {
          const u = await store.getBucketUsage(b.bucketId);
          assert.deepEqual(b.recorded, u);
          assert.deepEqual(b.counted, u);
        }
        assert.deepEqual(rec.buckets.find((b) => b.bucketId === empty.bucket.id)?.counted, { bytes: 0, objects: 0 });
        // Counted by hand: objects' sizes plus open parts.
        const objs = [...await store.scanObjects(bucket.id, { prefix: '', start: '', limit: 1000 }), ...await store.scanObjects(other.bucket.id, { prefix: '', start: '', limit: 1000 })];
        assert.deepEqual(rec.counted, { bytes: objs.reduce((n, o) => n + o.size, 0) + 11, objects: objs.length });
        // fix=true with no drift changes nothing.
        assert.deepEqual(await store.recountUsage(tenancy.id, true), rec);
        assert.deepEqual(await store.getTenancyUsage(tenancy.id), usage);
      }));
  });
}
