/** MetadataStore contract: the blob deletion queue (blob garbage collection). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import { obj, upload, type ContractContext } from './fixture.js';

export function blobGcContract({ withStore, queued }: ContractContext): void {
  describe('blob deletion queue', () => {
    it('queues replaced and deleted objects’ blobs', () =>
      withStore(async ({ store, bucket }) => {
        const first = obj(bucket.id, 'k');
        const second = obj(bucket.id, 'k');
        await store.putObject(first);
        assert.equal(await store.isBlobKnown(first.parts[0]!.blobId), true);
        assert.equal(await store.isBlobKnown(newId()), false);
        assert.equal((await queued(store)).size, 0);
        await store.putObject(second);
        assert.deepEqual(await queued(store), new Set([first.parts[0]!.blobId]));
        await store.deleteObject(bucket.id, 'k');
        assert.deepEqual(await queued(store), new Set([first.parts[0]!.blobId, second.parts[0]!.blobId]));
        // Queued blobs are still "known" until acknowledged.
        assert.equal(await store.isBlobKnown(second.parts[0]!.blobId), true);
        await store.ackBlobDeletions([first.parts[0]!.blobId, second.parts[0]!.blobId]);
        assert.equal((await queued(store)).size, 0);
        assert.equal(await store.isBlobKnown(second.parts[0]!.blobId), false);
      }));

    it('keeps a completed upload’s part blobs, queues unused, replaced and aborted parts', () =>
      withStore(async ({ store, bucket }) => {
        const up = await store.createUpload(upload(bucket.id, 'mp'));
        const [p1, p1old, p2, unused] = [newId(), newId(), newId(), newId()];
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: p1old, size: 5, etag: '"a"', checksum: null });
        assert.equal(await store.isBlobKnown(p1old), true);
        const replaced = await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: p1, size: 5, etag: '"b"', checksum: null });
        assert.ok(replaced.ok);
        assert.equal(replaced.replaced?.blobId, p1old);
        assert.deepEqual(await queued(store), new Set([p1old]));
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 2, blobId: p2, size: 5, etag: '"c"', checksum: null });
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 3, blobId: unused, size: 5, etag: '"d"', checksum: null });
        const done = await store.completeUpload(up.uploadId, obj(bucket.id, 'mp', {
          size: 10, parts: [{ blobId: p1, size: 5, etag: '"b"' }, { blobId: p2, size: 5, etag: '"c"' }],
        }));
        assert.ok(done.ok);
        assert.deepEqual(await queued(store), new Set([p1old, unused]));
        assert.equal(await store.isBlobKnown(p1), true);
        assert.equal(await store.isBlobKnown(p2), true);
        // Deleting the multipart object releases its part blobs.
        await store.deleteObject(bucket.id, 'mp');
        assert.deepEqual(await queued(store), new Set([p1old, unused, p1, p2]));

        const up2 = await store.createUpload(upload(bucket.id, 'mp2'));
        const [a1, a2] = [newId(), newId()];
        await store.putUploadPart({ uploadId: up2.uploadId, partNumber: 1, blobId: a1, size: 1, etag: '"a"', checksum: null });
        await store.putUploadPart({ uploadId: up2.uploadId, partNumber: 2, blobId: a2, size: 1, etag: '"a"', checksum: null });
        await store.abortUpload(up2.uploadId);
        assert.deepEqual(await queued(store), new Set([p1old, unused, p1, p2, a1, a2]));
      }));

    it('takes by queue time and limit', () =>
      withStore(async ({ store, bucket }) => {
        for (let i = 0; i < 5; i++) await store.putObject(obj(bucket.id, 'k'));
        assert.deepEqual(await store.takeBlobDeletions(0, 100), []);
        assert.equal((await store.takeBlobDeletions(Date.now() + 1000, 2)).length, 2);
        const all = await store.takeBlobDeletions(Date.now() + 1000, 100);
        assert.equal(all.length, 4);
        // Taking does not remove: the sweeper acknowledges once the files are gone.
        assert.equal((await store.takeBlobDeletions(Date.now() + 1000, 100)).length, 4);
        await store.ackBlobDeletions(all.slice(0, 3));
        assert.deepEqual(await store.takeBlobDeletions(Date.now() + 1000, 100), all.slice(3));
        await store.ackBlobDeletions([]);
      }));
  });
}
