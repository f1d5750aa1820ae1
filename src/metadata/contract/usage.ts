/** MetadataStore contract: usage counters and usage history. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import { obj, upload, type ContractContext } from './fixture.js';

export function usageContract({ withStore, assertUsage }: ContractContext): void {
  describe('usage counters', () => {
    it('follow every kind of write, per bucket and summed per tenancy', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const f = { tenancyId: tenancy.id, bucketId: bucket.id };
        await assertUsage(store, f, 0, 0);
        await store.putObject(obj(bucket.id, 'a', { size: 100 }));
        await assertUsage(store, f, 100, 1);
        await store.putObject(obj(bucket.id, 'b', { size: 50 }));
        await assertUsage(store, f, 150, 2);
        await store.putObject(obj(bucket.id, 'a', { size: 30 })); // replace: by the difference
        await assertUsage(store, f, 80, 2);
        await store.putObject(obj(bucket.id, 'a', { size: 30 }), { ifNoneMatch: '*' }); // failed: no change
        await assertUsage(store, f, 80, 2);
        await store.deleteObject(bucket.id, 'b');
        await assertUsage(store, f, 30, 1);
        await store.deleteObject(bucket.id, 'b');
        await assertUsage(store, f, 30, 1);

        const up = await store.createUpload(upload(bucket.id, 'mp'));
        const p1 = newId();
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: newId(), size: 10, etag: '"1"', checksum: null });
        await assertUsage(store, f, 40, 1);
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: p1, size: 20, etag: '"1b"', checksum: null }); // replace part
        await assertUsage(store, f, 50, 1);
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 2, blobId: newId(), size: 7, etag: '"2"', checksum: null }); // unused later
        await assertUsage(store, f, 57, 1);
        await store.completeUpload(up.uploadId, obj(bucket.id, 'mp', { size: 20, parts: [{ blobId: p1, size: 20, etag: '"1b"' }] }));
        await assertUsage(store, f, 50, 2);

        const up2 = await store.createUpload(upload(bucket.id, 'a'));
        const q1 = newId();
        await store.putUploadPart({ uploadId: up2.uploadId, partNumber: 1, blobId: q1, size: 5, etag: '"q"', checksum: null });
        await store.completeUpload(up2.uploadId, obj(bucket.id, 'a', { size: 5, parts: [{ blobId: q1, size: 5, etag: '"q"' }] })); // replaces a (30)
        await assertUsage(store, f, 25, 2);

        const up3 = await store.createUpload(upload(bucket.id, 'gone'));
        await store.putUploadPart({ uploadId: up3.uploadId, partNumber: 1, blobId: newId(), size: 9, etag: '"g"', checksum: null });
        await store.putUploadPart({ uploadId: up3.uploadId, partNumber: 2, blobId: newId(), size: 1, etag: '"g"', checksum: null });
        await assertUsage(store, f, 35, 2);
        await store.abortUpload(up3.uploadId);
        await assertUsage(store, f, 25, 2);

        // A second bucket adds to the tenancy.
        const other = await store.createBucket({ tenancyId: tenancy.id, name: 'other', ownerId: 'o', region: 'r' });
        assert.ok(other.created);
        await store.putObject(obj(other.bucket.id, 'x', { size: 1000 }));
        assert.deepEqual(await store.getBucketUsage(other.bucket.id), { bytes: 1000, objects: 1 });
        assert.deepEqual(await store.getBucketUsage(bucket.id), { bytes: 25, objects: 2 });
        assert.deepEqual(await store.getTenancyUsage(tenancy.id), { bytes: 1025, objects: 3 });
        assert.deepEqual(await store.getTenancyUsage('unknown'), { bytes: 0, objects: 0 });
      }));
  });

  describe('usage history', () => {
    it('records samples, lists them oldest first since a time, keeps the latest when limited, cascades', () =>
      withStore(async ({ store, tenancy }) => {
        await store.recordUsageSample(tenancy.id, 3000, { bytes: 30, objects: 3 });
        await store.recordUsageSample(tenancy.id, 1000, { bytes: 10, objects: 1 });
        await store.recordUsageSample(tenancy.id, 2000, { bytes: 20, objects: 2 });
        await store.recordUsageSample(tenancy.id, 2000, { bytes: 21, objects: 2 }); // same instant: replaced
        assert.deepEqual(await store.listUsageSamples(tenancy.id, 0, 100), [
          { at: 1000, bytes: 10, objects: 1 },
          { at: 2000, bytes: 21, objects: 2 },
          { at: 3000, bytes: 30, objects: 3 },
        ]);
        assert.deepEqual((await store.listUsageSamples(tenancy.id, 2000, 100)).map((r) => r.at), [2000, 3000]);
        assert.deepEqual((await store.listUsageSamples(tenancy.id, 0, 2)).map((r) => r.at), [2000, 3000], 'the most recent when limited');
        const other = await store.createTenancy({ name: `t-${newId().slice(0, 8)}` });
        assert.deepEqual(await store.listUsageSamples(other.id, 0, 100), []);
        await store.recordUsageSample(other.id, 5000, { bytes: 2 ** 40, objects: 7 });
        assert.deepEqual(await store.listUsageSamples(other.id, 0, 100), [{ at: 5000, bytes: 2 ** 40, objects: 7 }], 'large byte counts survive');
        assert.equal(await store.deleteTenancy(other.id), true);
        assert.deepEqual(await store.listUsageSamples(other.id, 0, 100), [], 'samples go with the tenancy');
      }));
  });
}
