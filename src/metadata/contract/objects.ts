/** MetadataStore contract: object writes: objects, listing, conditional writes, multipart uploads, group commit. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import { compareKeys } from '../key-range.js';
import type { MetadataStore, ObjectPart } from '../store.js';
import { obj, upload, quotedEtag, type ContractContext } from './fixture.js';

export function objectsContract({ withStore, assertUsage, queued }: ContractContext): void {
  describe('objects', () => {
    it('round-trips every field', () =>
      withStore(async ({ store, bucket }) => {
        const parts: ObjectPart[] = [
          { blobId: newId(), size: 5, etag: '"aa"', checksum: 'AAAA' },
          { blobId: newId(), size: 3, etag: '"bb"' },
        ];
        const o = obj(bucket.id, 'dir/file.txt', {
          size: 8, parts, lastModified: 1_700_000_000_123, contentType: 'text/plain',
          headers: { 'cache-control': 'no-cache', 'x-amz-meta-Ünï': 'välue  with  spaces' },
          checksum: { algorithm: 'CRC32', value: 'AAAAAA==', type: 'COMPOSITE' }, tagging: 'a=1&b=2',
          storageClass: 'STANDARD_IA', ownerId: 'someone',
        });
        const res = await store.putObject(o);
        assert.ok(res.ok);
        assert.equal(res.replaced, undefined);
        const { lastModified, ...rest } = o;
        const expected = { ...rest, versionId: 'null', lastModified: 1_700_000_000_123, acl: null };
        assert.deepEqual(res.object, expected);
        assert.deepEqual(await store.getObject(bucket.id, 'dir/file.txt'), expected);
        assert.equal(await store.getObject(bucket.id, 'dir/file.TXT'), undefined);

        const inline = obj(bucket.id, 'small', { size: 3, inline: Buffer.from('hey'), parts: [] });
        const before = Date.now();
        const r2 = await store.putObject(inline);
        assert.ok(r2.ok);
        const got = await store.getObject(bucket.id, 'small');
        assert.ok(got);
        assert.deepEqual(Buffer.from(got.inline!), Buffer.from('hey'));
        assert.ok(got.lastModified >= before - 5 && got.lastModified <= Date.now() + 5, 'lastModified set by the store');
        assert.equal(got.lastModified, r2.object.lastModified);
      }));

    it('replaces only the tag set with setObjectTagging', () =>
      withStore(async ({ store, bucket }) => {
        const put = await store.putObject(obj(bucket.id, 'tagged', { tagging: 'a=1' }));
        assert.ok(put.ok);
        assert.equal(await store.setObjectTagging(bucket.id, 'tagged', 'b=2&c=3'), true);
        const got = await store.getObject(bucket.id, 'tagged');
        assert.equal(got?.tagging, 'b=2&c=3');
        assert.equal(got?.etag, put.object.etag);
        assert.equal(got?.lastModified, put.object.lastModified);
        assert.equal(await store.setObjectTagging(bucket.id, 'tagged', null), true);
        assert.equal((await store.getObject(bucket.id, 'tagged'))?.tagging, null);
        assert.equal(await store.setObjectTagging(bucket.id, 'missing', 'a=1'), false);
        assert.equal((await store.takeBlobDeletions(Date.now() + 1, 100)).length, 0, 'no blob released');
      }));

    it('rejects a put into a missing bucket', () =>
      withStore(async ({ store }) => {
        assert.deepEqual(await store.putObject(obj('no-such-bucket-id', 'k')), { ok: false, reason: 'no-such-bucket' });
      }));

    it('deletes, returning what was deleted (or undefined)', () =>
      withStore(async ({ store, bucket }) => {
        assert.deepEqual(await store.deleteObject(bucket.id, 'missing'), { ok: true, deleted: undefined });
        const put = await store.putObject(obj(bucket.id, 'k'));
        assert.ok(put.ok);
        const del = await store.deleteObject(bucket.id, 'k');
        assert.ok(del.ok);
        assert.equal(del.deleted?.etag, put.object.etag);
        assert.equal(await store.getObject(bucket.id, 'k'), undefined);
      }));
  });

  describe('listing (scanObjects)', () => {
    const keys = [
      'a', 'a b', 'a+b', 'a%2Fb', 'a//b', 'a/', 'a/b', 'a/b/c', 'a0', 'a/../b', '../x', ' lead', 'Z', 'z', 'ä',
      'äb', 'é', '日本語/ファイル', '😀', '😀/x', '\uffff', '\ue000x', 'photos/2024/1.jpg', 'photos/2025/1.jpg',
      'k'.repeat(1024),
    ];
    const sorted = [...keys].sort(compareKeys);

    async function fill(store: MetadataStore, bucketId: string) {
      // Insert in a shuffled order so the store's ordering, not insertion, is tested.
      const shuffled = [...keys].sort(() => Math.random() - 0.5);
      const results = await Promise.all(shuffled.map((k) => store.putObject(obj(bucketId, k, { inline: Buffer.from('x'), size: 1, parts: [] }))));
      assert.ok(results.every((r) => r.ok));
    }
    const scanKeys = async (store: MetadataStore, bucketId: string, prefix: string, start = '', inclusive = false, limit = 1000) =>
      (await store.scanObjects(bucketId, { prefix, start, inclusive, limit })).map((o) => o.key);

    it('lists every key in UTF-8 byte order, with only what a listing shows', () =>
      withStore(async ({ store, bucket }) => {
        await fill(store, bucket.id);
        const all = await store.scanObjects(bucket.id, { prefix: '', start: '', limit: 1000 });
        assert.deepEqual(all.map((o) => o.key), sorted);
        assert.deepEqual(Object.keys(all[0]!).sort(), ['checksum', 'etag', 'key', 'lastModified', 'ownerId', 'size', 'storageClass']);
        // Sanity of the expectation itself: byte order differs from JS (UTF-16) order for these keys.
        assert.ok(sorted.indexOf('z') < sorted.indexOf('ä'));
        assert.ok(sorted.indexOf('\uffff') < sorted.indexOf('😀'));
      }));

    it('restricts to a prefix (ASCII, multi-byte, emoji, none matching)', () =>
      withStore(async ({ store, bucket }) => {
        await fill(store, bucket.id);
        for (const prefix of ['a', 'a/', 'a/b', 'ä', '😀', 'photos/', 'photos/2024', '日本語/', '\uffff', 'nothing']) {
          assert.deepEqual(await scanKeys(store, bucket.id, prefix), sorted.filter((k) => k.startsWith(prefix)), `prefix ${prefix}`);
        }
      }));

    it('starts after (or at) a key and honours limit', () =>
      withStore(async ({ store, bucket }) => {
        await fill(store, bucket.id);
        assert.deepEqual(await scanKeys(store, bucket.id, '', 'a/'), sorted.filter((k) => compareKeys(k, 'a/') > 0));
        assert.deepEqual(await scanKeys(store, bucket.id, '', 'a/', true), sorted.filter((k) => compareKeys(k, 'a/') >= 0));
        assert.deepEqual(await scanKeys(store, bucket.id, 'a/', 'a/b'), ['a/b/c']);
        assert.deepEqual(await scanKeys(store, bucket.id, 'a/', 'a/b', true), ['a/b', 'a/b/c']);
        // A start before the prefix does not leak keys from outside it; one after it yields nothing.
        assert.deepEqual(await scanKeys(store, bucket.id, 'photos/', 'a'), ['photos/2024/1.jpg', 'photos/2025/1.jpg']);
        assert.deepEqual(await scanKeys(store, bucket.id, 'a/', 'b'), []);
        // A start that does not exist as a key.
        assert.deepEqual(await scanKeys(store, bucket.id, '', 'ä0'), sorted.filter((k) => compareKeys(k, 'ä0') > 0));
        assert.deepEqual(await scanKeys(store, bucket.id, '', '', false, 3), sorted.slice(0, 3));
        // Paging through with limit 4 gives everything exactly once.
        const paged: string[] = [];
        for (let start = ''; ; ) {
          const page = await scanKeys(store, bucket.id, '', start, false, 4);
          paged.push(...page);
          if (page.length < 4) break;
          start = page[page.length - 1]!;
        }
        assert.deepEqual(paged, sorted);
      }));

    it('keeps buckets apart', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const other = await store.createBucket({ tenancyId: tenancy.id, name: 'other', ownerId: 'o', region: 'r' });
        assert.ok(other.created);
        await store.putObject(obj(bucket.id, 'mine'));
        await store.putObject(obj(other.bucket.id, 'theirs'));
        assert.deepEqual(await scanKeys(store, bucket.id, ''), ['mine']);
        assert.deepEqual(await scanKeys(store, other.bucket.id, ''), ['theirs']);
      }));
  });

  describe('conditional writes', () => {
    it('If-None-Match: * only creates', () =>
      withStore(async ({ store, bucket }) => {
        assert.ok((await store.putObject(obj(bucket.id, 'k'), { ifNoneMatch: '*' })).ok);
        assert.deepEqual(await store.putObject(obj(bucket.id, 'k'), { ifNoneMatch: '*' }), { ok: false, reason: 'precondition-failed' });
      }));

    it('If-Match compares ETags quoted or unquoted', () =>
      withStore(async ({ store, bucket }) => {
        assert.deepEqual(await store.putObject(obj(bucket.id, 'k'), { ifMatch: '"abc"' }), { ok: false, reason: 'precondition-failed' });
        const first = await store.putObject(obj(bucket.id, 'k', { etag: '"abc"' }));
        assert.ok(first.ok);
        assert.deepEqual(await store.putObject(obj(bucket.id, 'k'), { ifMatch: '"abd"' }), { ok: false, reason: 'precondition-failed' });
        const second = await store.putObject(obj(bucket.id, 'k', { etag: '"def"' }), { ifMatch: 'abc' });
        assert.ok(second.ok);
        assert.equal(second.replaced?.etag, '"abc"');
        assert.ok((await store.putObject(obj(bucket.id, 'k', { etag: '"ghi"' }), { ifMatch: '"def"' })).ok);
        assert.equal((await store.getObject(bucket.id, 'k'))?.etag, '"ghi"');
      }));

    it('conditional deletes', () =>
      withStore(async ({ store, bucket }) => {
        await store.putObject(obj(bucket.id, 'k', { etag: '"abc"' }));
        assert.deepEqual(await store.deleteObject(bucket.id, 'k', { ifMatch: '"nope"' }), { ok: false, reason: 'precondition-failed' });
        assert.ok(await store.getObject(bucket.id, 'k'));
        assert.deepEqual(await store.deleteObject(bucket.id, 'missing', { ifMatch: '"abc"' }), { ok: false, reason: 'precondition-failed' });
        const del = await store.deleteObject(bucket.id, 'k', { ifMatch: 'abc' });
        assert.ok(del.ok && del.deleted);
        assert.equal(await store.getObject(bucket.id, 'k'), undefined);
      }));

    it('concurrent If-None-Match: * puts to one key: exactly one wins', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const attempts = Array.from({ length: 25 }, () => obj(bucket.id, 'race', { size: 10 }));
        const results = await Promise.all(attempts.map((o) => store.putObject(o, { ifNoneMatch: '*' })));
        const winners = results.filter((r) => r.ok);
        assert.equal(winners.length, 1);
        assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'precondition-failed'));
        const winner = winners[0]!;
        assert.ok(winner.ok);
        assert.equal((await store.getObject(bucket.id, 'race'))?.etag, winner.object.etag);
        await assertUsage(store, { tenancyId: tenancy.id, bucketId: bucket.id }, 10, 1);
        // The losers' blobs were never referenced by the store, so it has not queued them either.
        assert.equal((await queued(store)).size, 0);
      }));

    it('ops issued together see each other in order', () =>
      withStore(async ({ store, bucket }) => {
        const a = obj(bucket.id, 'k', { etag: '"v1"' });
        const [p1, p2, d, p3] = await Promise.all([
          store.putObject(a),
          store.putObject(obj(bucket.id, 'k', { etag: '"v2"' }), { ifMatch: '"v1"' }),
          store.deleteObject(bucket.id, 'k', { ifMatch: '"v2"' }),
          store.putObject(obj(bucket.id, 'k', { etag: '"v3"' }), { ifMatch: '"v2"' }),
        ]);
        assert.ok(p1.ok && p2.ok && d.ok);
        assert.deepEqual(p3, { ok: false, reason: 'precondition-failed' });
        assert.equal(await store.getObject(bucket.id, 'k'), undefined);
      }));
  });

  describe('multipart uploads', () => {
    it('creates, gets, lists parts and aborts', () =>
      withStore(async ({ store, bucket }) => {
        const up = await store.createUpload({ ...upload(bucket.id, 'big'), headers: { 'x-amz-meta-a': '1' }, tagging: 't=1', checksumAlgorithm: 'SHA256', checksumType: 'COMPOSITE' });
        assert.equal(typeof up.initiatedAt, 'number');
        assert.deepEqual(await store.getUpload(up.uploadId), up);
        assert.equal(await store.getUpload('nope'), undefined);
        for (const n of [3, 1, 2, 10]) {
          const r = await store.putUploadPart({ uploadId: up.uploadId, partNumber: n, blobId: newId(), size: n, etag: `"e${n}"`, checksum: n === 1 ? 'c1' : null });
          assert.deepEqual(r, { ok: true, replaced: undefined });
        }
        const parts = await store.listUploadParts(up.uploadId, 0, 100);
        assert.deepEqual(parts.map((p) => p.partNumber), [1, 2, 3, 10]);
        assert.equal(parts[0]!.checksum, 'c1');
        assert.equal(parts[1]!.checksum, null);
        assert.equal(typeof parts[0]!.lastModified, 'number');
        assert.deepEqual((await store.listUploadParts(up.uploadId, 1, 2)).map((p) => p.partNumber), [2, 3]);
        assert.deepEqual(await store.listUploadParts(up.uploadId, 10, 5), []);
        assert.deepEqual(await store.putUploadPart({ uploadId: 'nope', partNumber: 1, blobId: newId(), size: 1, etag: '"x"', checksum: null }), { ok: false, reason: 'no-such-upload' });
        assert.equal(await store.abortUpload(up.uploadId), true);
        assert.equal(await store.abortUpload(up.uploadId), false);
        assert.equal(await store.getUpload(up.uploadId), undefined);
        assert.deepEqual(await store.listUploadParts(up.uploadId, 0, 100), []);
      }));

    it('completes into an object; a failed precondition keeps the upload', () =>
      withStore(async ({ store, bucket }) => {
        const up = await store.createUpload(upload(bucket.id, 'big'));
        const b1 = newId();
        const b2 = newId();
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: b1, size: 5, etag: '"p1"', checksum: null });
        await store.putUploadPart({ uploadId: up.uploadId, partNumber: 2, blobId: b2, size: 3, etag: '"p2"', checksum: null });
        const o = obj(bucket.id, 'big', { size: 8, etag: '"x-2"', parts: [{ blobId: b1, size: 5, etag: '"p1"' }, { blobId: b2, size: 3, etag: '"p2"' }] });
        await store.putObject(obj(bucket.id, 'big'));
        assert.deepEqual(await store.completeUpload(up.uploadId, o, { ifNoneMatch: '*' }), { ok: false, reason: 'precondition-failed' });
        assert.ok(await store.getUpload(up.uploadId));
        assert.equal((await store.listUploadParts(up.uploadId, 0, 10)).length, 2);
        const done = await store.completeUpload(up.uploadId, o);
        assert.ok(done.ok);
        assert.ok(done.replaced);
        assert.deepEqual((await store.getObject(bucket.id, 'big'))?.parts, o.parts);
        assert.equal(await store.getUpload(up.uploadId), undefined);
        assert.deepEqual(await store.completeUpload(up.uploadId, o), { ok: false, reason: 'no-such-upload' });
        assert.equal(await store.isBlobKnown(b1), true);
      }));

    it('scans uploads by (key, initiatedAt, uploadId) with S3 markers', () =>
      withStore(async ({ store, bucket }) => {
        const made = [];
        for (const key of ['b', 'a', 'b', 'c/1', 'b', 'c/2']) {
          made.push(await store.createUpload(upload(bucket.id, key)));
        }
        const order = [...made].sort((x, y) => compareKeys(x.key, y.key) || x.initiatedAt - y.initiatedAt || (x.uploadId < y.uploadId ? -1 : x.uploadId > y.uploadId ? 1 : 0));
        const scan = async (prefix: string, keyMarker: string, uploadIdMarker: string, limit = 100) =>
          (await store.scanUploads(bucket.id, { prefix, keyMarker, uploadIdMarker, limit })).map((u) => u.uploadId);
        assert.deepEqual(await scan('', '', ''), order.map((u) => u.uploadId));
        assert.deepEqual(await scan('', 'a', ''), order.filter((u) => u.key > 'a').map((u) => u.uploadId));
        assert.deepEqual(await scan('', 'b', ''), order.filter((u) => u.key > 'b').map((u) => u.uploadId));
        const bs = order.filter((u) => u.key === 'b');
        assert.deepEqual(await scan('', 'b', bs[0]!.uploadId), order.slice(order.indexOf(bs[0]!) + 1).map((u) => u.uploadId));
        assert.deepEqual(await scan('', 'b', bs[1]!.uploadId, 2), [bs[2]!.uploadId, order.find((u) => u.key === 'c/1')!.uploadId]);
        assert.deepEqual(await scan('c/', '', ''), order.filter((u) => u.key.startsWith('c/')).map((u) => u.uploadId));
        assert.deepEqual(await scan('c/', 'c/1', ''), order.filter((u) => u.key === 'c/2').map((u) => u.uploadId));
        assert.deepEqual(await scan('', '', '', 2), order.slice(0, 2).map((u) => u.uploadId));
        const other = await store.createBucket({ tenancyId: bucket.tenancyId, name: 'other', ownerId: 'o', region: 'r' });
        assert.ok(other.created);
        assert.deepEqual(await store.scanUploads(other.bucket.id, { prefix: '', keyMarker: '', uploadIdMarker: '', limit: 10 }), []);
      }));
  });

  describe('group commit', () => {
    it('500 concurrent puts are all durable and readable with exact usage', () =>
      withStore(async ({ store, tenancy, bucket }) => {
        const objects = Array.from({ length: 500 }, (_, i) => obj(bucket.id, `k/${String(i).padStart(4, '0')}`, { size: i + 1, parts: [{ blobId: newId(), size: i + 1 }] }));
        const results = await Promise.all(objects.map((o) => store.putObject(o)));
        assert.ok(results.every((r) => r.ok));
        for (const o of objects) assert.equal((await store.getObject(bucket.id, o.key))?.etag, o.etag);
        await assertUsage(store, { tenancyId: tenancy.id, bucketId: bucket.id }, (500 * 501) / 2, 500);
        const listed = await store.scanObjects(bucket.id, { prefix: 'k/', start: '', limit: 1000 });
        assert.equal(listed.length, 500);
        // Then 500 concurrent deletes mixed with replacing puts.
        const mixed = await Promise.all(objects.map((o, i) => (i % 2 ? store.deleteObject(bucket.id, o.key) : store.putObject({ ...o, size: 1, etag: quotedEtag(), parts: [{ blobId: newId(), size: 1 }] }))));
        assert.ok(mixed.every((r) => r.ok));
        await assertUsage(store, { tenancyId: tenancy.id, bucketId: bucket.id }, 250, 250);
        assert.equal((await queued(store)).size, 500);
      }));

    it('a failing op does not fail the others in its batch', () =>
      withStore(async ({ store, bucket }) => {
        const up = await store.createUpload(upload(bucket.id, 'mp'));
        const results = await Promise.allSettled([
          store.putObject(obj(bucket.id, 'one')),
          // A malformed completion (object key differs from the upload's) may throw or be refused.
          store.completeUpload(up.uploadId, obj(bucket.id, 'not-the-upload-key')),
          store.putObject(obj(bucket.id, 'two')),
        ]);
        assert.equal(results[0].status, 'fulfilled');
        assert.equal(results[2].status, 'fulfilled');
        assert.ok(await store.getObject(bucket.id, 'one'));
        assert.ok(await store.getObject(bucket.id, 'two'));
        assert.equal(await store.getObject(bucket.id, 'not-the-upload-key'), undefined);
      }));
  });
}
