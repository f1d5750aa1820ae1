/**
 * MetadataStore contract: object versions (issue 19; docs/architecture.md, "Object versions"). Versions in
 * Enabled buckets, the null version in Suspended ones, delete markers, deletes by version id (a marker's
 * removal restores the version under it), the version listing's order and paging, usage that counts every
 * version exactly (checked against a recount after every scenario), blob references per version, and
 * unversioned buckets left as they were.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import { compareKeys } from '../key-range.js';
import type { ListedVersion, MetadataStore, NewObject, VersioningState } from '../store.js';
import { obj, upload, type ContractContext, type Fixture } from './fixture.js';

const keyBytes = (k: string) => Buffer.byteLength(k, 'utf8');

export function versionsContract({ withStore, assertUsage, queued: peek }: ContractContext): void {
  /** The blob ids queued since the last call (taken and acknowledged, so the next call sees only new ones). */
  const queued = async (store: MetadataStore): Promise<Set<string>> => {
    const ids = await peek(store);
    await store.ackBlobDeletions([...ids]);
    return ids;
  };
  /** Usage as the counters say it, and the recount agreeing with them (usage is exact). */
  async function exact(f: Fixture, bytes: number, objects: number): Promise<void> {
    await assertUsage(f.store, { tenancyId: f.tenancy.id, bucketId: f.bucket.id }, bytes, objects);
    const r = await f.store.recountUsage(f.tenancy.id, false);
    assert.deepEqual(r.counted, r.recorded, 'recount agrees with the counters');
  }
  const put = async (store: MetadataStore, o: NewObject, versioning?: VersioningState) => {
    const r = await store.putObject({ ...o, versioning });
    assert.ok(r.ok, JSON.stringify(r));
    return r.object;
  };
  const all = async (store: MetadataStore, bucketId: string, prefix = ''): Promise<ListedVersion[]> =>
    store.scanObjectVersions(bucketId, { prefix, start: '', limit: 10_000 });
  const short = (v: ListedVersion[]) => v.map((x) => `${x.key}:${x.isDeleteMarker ? 'M' : 'V'}${x.isLatest ? '*' : ''}`);

  describe('versions', () => {
    it('the versioning state is a bucket configuration kind', () =>
      withStore(async ({ store, bucket }) => {
        assert.equal((await store.getBucketById(bucket.id))?.versioning, null);
        assert.equal(await store.setBucketConfiguration(bucket.id, 'versioning', 'Enabled'), true);
        assert.equal((await store.getBucketById(bucket.id))?.versioning, 'Enabled');
        await store.setBucketConfiguration(bucket.id, 'versioning', 'Suspended');
        assert.equal((await store.getBucketById(bucket.id))?.versioning, 'Suspended');
      }));

    it('an unversioned bucket keeps one null version per key, nothing noncurrent', () =>
      withStore(async (f) => {
        const { store, bucket } = f;
        const a = await put(store, obj(bucket.id, 'k', { size: 10 }));
        assert.equal(a.versionId, 'null');
        const b = await put(store, obj(bucket.id, 'k', { size: 3 }));
        assert.equal(b.versionId, 'null');
        assert.deepEqual(await queued(store), new Set([a.parts[0]!.blobId]));
        assert.deepEqual(short(await all(store, bucket.id)), ['k:V*']);
        assert.equal((await store.getObjectVersion(bucket.id, 'k', 'null'))?.kind, 'object');
        const del = await store.deleteObject(bucket.id, 'k');
        assert.ok(del.ok && del.marker === undefined && del.deleted?.etag === b.etag);
        assert.deepEqual(await all(store, bucket.id), []);
        assert.equal(await store.getDeleteMarker(bucket.id, 'k'), undefined);
        await exact(f, 0, 0);
      }));

    it('Enabled: each write is a new version with a unique id in creation order; every version counts', () =>
      withStore(async (f) => {
        const { store, bucket } = f;
        const before = await put(store, obj(bucket.id, 'k', { size: 7 })); // the null version, from before versioning
        const v1 = await put(store, obj(bucket.id, 'k', { size: 10 }), 'Enabled');
        const v2 = await put(store, obj(bucket.id, 'k', { size: 20 }), 'Enabled');
        assert.notEqual(v1.versionId, 'null');
        assert.notEqual(v1.versionId, v2.versionId);
        assert.ok(v1.versionId < v2.versionId, 'ids sort as the writes were made');
        assert.equal((await store.getObject(bucket.id, 'k'))?.etag, v2.etag);
        assert.equal((await store.getObject(bucket.id, 'k'))?.versionId, v2.versionId);
        for (const v of [before, v1, v2]) {
          const got = await store.getObjectVersion(bucket.id, 'k', v.versionId);
          assert.ok(got?.kind === 'object');
          assert.equal(got.object.etag, v.etag);
          assert.equal(got.isLatest, v === v2);
        }
        assert.equal(await store.getObjectVersion(bucket.id, 'k', 'no-such-version'), undefined);
        assert.deepEqual((await all(store, bucket.id)).map((x) => x.versionId), [v2.versionId, v1.versionId, 'null']);
        assert.equal((await queued(store)).size, 0, 'no blob released: every version keeps its bytes');
        assert.ok(await store.isBlobKnown(before.parts[0]!.blobId));
        await exact(f, 37, 3);
      }));

    it('Enabled: a delete adds a marker; the key answers with it; deleting the marker restores the version', () =>
      withStore(async (f) => {
        const { store, bucket, user } = f;
        const key = 'dir/ä';
        const v1 = await put(store, obj(bucket.id, key, { size: 10 }), 'Enabled');
        const del = await store.deleteObject(bucket.id, key, undefined, { versioning: 'Enabled', ownerId: user.id });
        assert.ok(del.ok && del.marker);
        assert.equal(del.deleted, undefined, 'no data is gone');
        assert.notEqual(del.marker.versionId, 'null');
        assert.ok(del.marker.versionId > v1.versionId);
        assert.equal(del.marker.ownerId, user.id);
        assert.equal(await store.getObject(bucket.id, key), undefined);
        assert.deepEqual(await store.getDeleteMarker(bucket.id, key), del.marker);
        const m = await store.getObjectVersion(bucket.id, key, del.marker.versionId);
        assert.ok(m?.kind === 'marker' && m.isLatest);
        assert.deepEqual(short(await all(store, bucket.id)), [`${key}:M*`, `${key}:V`]);
        await exact(f, 10 + keyBytes(key), 2);
        // A delete of a key whose latest is a marker adds another (as S3 does); so does one of a key never written.
        const again = await store.deleteObject(bucket.id, key, undefined, { versioning: 'Enabled', ownerId: user.id });
        assert.ok(again.ok && again.marker);
        const none = await store.deleteObject(bucket.id, 'never', undefined, { versioning: 'Enabled', ownerId: user.id });
        assert.ok(none.ok && none.marker);
        await exact(f, 10 + 2 * keyBytes(key) + keyBytes('never'), 4);
        // Removing the markers by id: the version under them is current again.
        const gone = await store.deleteObjectVersion(bucket.id, key, again.marker.versionId);
        assert.ok(gone?.kind === 'marker' && gone.isLatest);
        assert.equal(await store.getObject(bucket.id, key), undefined, 'the older marker is still the latest');
        await store.deleteObjectVersion(bucket.id, key, del.marker.versionId);
        const back = await store.getObject(bucket.id, key);
        assert.equal(back?.versionId, v1.versionId);
        assert.equal(back?.etag, v1.etag);
        assert.equal(await store.getDeleteMarker(bucket.id, key), undefined);
        assert.equal((await queued(store)).size, 0);
        await store.deleteObjectVersion(bucket.id, 'never', none.marker.versionId);
        await exact(f, 10, 1);
      }));

    it('deleting a version by id removes it for good: its bytes come back, the previous version becomes current', () =>
      withStore(async (f) => {
        const { store, bucket } = f;
        const v1 = await put(store, obj(bucket.id, 'k', { size: 10 }), 'Enabled');
        const v2 = await put(store, obj(bucket.id, 'k', { size: 20 }), 'Enabled');
        const v3 = await put(store, obj(bucket.id, 'k', { size: 30 }), 'Enabled');
        // a noncurrent one
        const mid = await store.deleteObjectVersion(bucket.id, 'k', v2.versionId);
        assert.ok(mid?.kind === 'object' && !mid.isLatest && mid.object.etag === v2.etag);
        assert.deepEqual(await queued(store), new Set([v2.parts[0]!.blobId]));
        assert.equal((await store.getObject(bucket.id, 'k'))?.versionId, v3.versionId);
        await exact(f, 40, 2);
        // the current one
        const cur = await store.deleteObjectVersion(bucket.id, 'k', v3.versionId);
        assert.ok(cur?.kind === 'object' && cur.isLatest);
        assert.deepEqual(await queued(store), new Set([v3.parts[0]!.blobId]));
        const now = await store.getObject(bucket.id, 'k');
        assert.equal(now?.versionId, v1.versionId);
        assert.equal(now?.etag, v1.etag);
        assert.deepEqual(now?.parts, v1.parts);
        await exact(f, 10, 1);
        assert.equal(await store.deleteObjectVersion(bucket.id, 'k', v3.versionId), undefined, 'gone already');
        assert.equal(await store.deleteObjectVersion(bucket.id, 'other', v1.versionId), undefined, 'a version of another key');
        await store.deleteObjectVersion(bucket.id, 'k', v1.versionId);
        assert.deepEqual(await all(store, bucket.id), []);
        await exact(f, 0, 0);
        assert.equal(await store.deleteBucket(bucket.id), 'deleted');
      }));

    it('Suspended: writes and deletes replace the null version wherever it is; versions made while Enabled stay', () =>
      withStore(async (f) => {
        const { store, bucket, user } = f;
        const n0 = await put(store, obj(bucket.id, 'k', { size: 5 }));
        const v1 = await put(store, obj(bucket.id, 'k', { size: 10 }), 'Enabled'); // n0 becomes noncurrent
        const n1 = await put(store, obj(bucket.id, 'k', { size: 3 }), 'Suspended'); // replaces n0; v1 noncurrent
        assert.equal(n1.versionId, 'null');
        assert.deepEqual(await queued(store), new Set([n0.parts[0]!.blobId]));
        assert.deepEqual((await all(store, bucket.id)).map((x) => x.versionId), ['null', v1.versionId]);
        await exact(f, 13, 2);
        const n2 = await put(store, obj(bucket.id, 'k', { size: 4 }), 'Suspended'); // in place
        assert.deepEqual(await queued(store), new Set([n1.parts[0]!.blobId]));
        await exact(f, 14, 2);
        // a delete: the null version goes, a null marker is the latest
        const del = await store.deleteObject(bucket.id, 'k', undefined, { versioning: 'Suspended', ownerId: user.id });
        assert.ok(del.ok && del.marker);
        assert.equal(del.marker.versionId, 'null');
        assert.equal(del.deleted?.etag, n2.etag);
        assert.deepEqual(await queued(store), new Set([n2.parts[0]!.blobId]));
        assert.deepEqual(short(await all(store, bucket.id)), ['k:M*', 'k:V']);
        await exact(f, 10 + 1, 2);
        // a write replaces the null marker
        await put(store, obj(bucket.id, 'k', { size: 6 }), 'Suspended');
        assert.deepEqual(short(await all(store, bucket.id)), ['k:V*', 'k:V']);
        await exact(f, 16, 2);
        // Enabled again: the null version becomes noncurrent, like any other
        const v2 = await put(store, obj(bucket.id, 'k', { size: 1 }), 'Enabled');
        assert.deepEqual((await all(store, bucket.id)).map((x) => x.versionId), [v2.versionId, 'null', v1.versionId]);
        await exact(f, 17, 3);
        // the breakdowns of usage count every version too
        assert.deepEqual(await store.usageByPrefix(bucket.id), [{ group: '', bytes: 17, objects: 3 }]);
        assert.deepEqual(await store.usageByOwner(f.tenancy.id), [{ group: 'owner', bytes: 17, objects: 3 }]);
        await store.deleteObject(bucket.id, 'dir/k', undefined, { versioning: 'Enabled', ownerId: user.id });
        assert.deepEqual(await store.usageByPrefix(bucket.id), [{ group: '', bytes: 17, objects: 3 }, { group: 'dir/', bytes: 5, objects: 1 }]);
        assert.deepEqual(await store.usageByOwner(f.tenancy.id), [{ group: 'owner', bytes: 17, objects: 3 }, { group: user.id, bytes: 5, objects: 1 }]);
      }));

    it('a writer holding the bucket as unversioned never overwrites what versioning keeps', () =>
      withStore(async (f) => {
        const { store, bucket } = f;
        const v1 = await put(store, obj(bucket.id, 'k', { size: 10 }), 'Enabled');
        // A stale caller (versioning undefined): the store sees the bucket has versions and writes as Suspended.
        const n = await put(store, obj(bucket.id, 'k', { size: 2 }));
        assert.equal(n.versionId, 'null');
        assert.equal((await store.getObjectVersion(bucket.id, 'k', v1.versionId))?.kind, 'object');
        const del = await store.deleteObject(bucket.id, 'other-key-never-written');
        assert.ok(del.ok && del.marker === undefined);
        await exact(f, 12, 2);
      }));

    it('tags and ACLs of one version', () =>
      withStore(async ({ store, bucket, user }) => {
        const v1 = await put(store, obj(bucket.id, 'k', { tagging: 'a=1' }), 'Enabled');
        const v2 = await put(store, obj(bucket.id, 'k', { tagging: 'b=2' }), 'Enabled');
        assert.equal(await store.setObjectTagging(bucket.id, 'k', 'c=3', v1.versionId), true);
        assert.equal(await store.setObjectAcl(bucket.id, 'k', '{"x":1}', v1.versionId), true);
        const got = await store.getObjectVersion(bucket.id, 'k', v1.versionId);
        assert.ok(got?.kind === 'object');
        assert.equal(got.object.tagging, 'c=3');
        assert.equal(got.object.acl, '{"x":1}');
        assert.equal((await store.getObject(bucket.id, 'k'))?.tagging, 'b=2');
        assert.equal(await store.setObjectTagging(bucket.id, 'k', 'd=4', v2.versionId), true);
        assert.equal((await store.getObject(bucket.id, 'k'))?.tagging, 'd=4');
        assert.equal(await store.setObjectTagging(bucket.id, 'k', 'e=5', 'nope'), false);
        const del = await store.deleteObject(bucket.id, 'k', undefined, { versioning: 'Enabled', ownerId: user.id });
        assert.ok(del.ok && del.marker);
        assert.equal(await store.setObjectTagging(bucket.id, 'k', 'e=5', del.marker.versionId), false, 'a marker has no tags');
      }));

    it('conditions apply to the current version', () =>
      withStore(async ({ store, bucket, user }) => {
        const v1 = await put(store, obj(bucket.id, 'k'), 'Enabled');
        assert.deepEqual(await store.putObject({ ...obj(bucket.id, 'k'), versioning: 'Enabled' }, { ifNoneMatch: '*' }), { ok: false, reason: 'precondition-failed' });
        assert.deepEqual(await store.deleteObject(bucket.id, 'k', { ifMatch: '"other"' }, { versioning: 'Enabled', ownerId: user.id }), { ok: false, reason: 'precondition-failed' });
        const del = await store.deleteObject(bucket.id, 'k', { ifMatch: v1.etag }, { versioning: 'Enabled', ownerId: user.id });
        assert.ok(del.ok && del.marker);
        assert.equal((await all(store, bucket.id)).length, 2);
      }));

    it('quota counts noncurrent versions: an overwrite in an Enabled bucket needs room for all of it', () =>
      withStore(async (f) => {
        const { store, bucket } = f;
        await store.setBucketQuota(bucket.id, { bytes: 25, objects: null });
        await put(store, obj(bucket.id, 'k', { size: 10 }), 'Enabled');
        await put(store, obj(bucket.id, 'k', { size: 10 }), 'Enabled');
        const refused = await store.putObject({ ...obj(bucket.id, 'k', { size: 10 }), versioning: 'Enabled' }, undefined, { enforce: true });
        assert.equal(refused.ok, false);
        assert.ok(!refused.ok && refused.reason === 'quota-exceeded');
        // the same overwrite while Suspended replaces nothing either (no null version yet): refused too
        const suspended = await store.putObject({ ...obj(bucket.id, 'k', { size: 10 }), versioning: 'Suspended' }, undefined, { enforce: true });
        assert.ok(!suspended.ok);
        await exact(f, 20, 2);
        // deleting a version by id gives its bytes back
        const [, older] = await all(store, bucket.id);
        await store.deleteObjectVersion(bucket.id, 'k', older!.versionId);
        const ok = await store.putObject({ ...obj(bucket.id, 'k', { size: 10 }), versioning: 'Enabled' }, undefined, { enforce: true });
        assert.ok(ok.ok);
        await exact(f, 20, 2);
      }));

    it('multipart completions version like puts; upload credits stay exact', () =>
      withStore(async (f) => {
        const { store, bucket } = f;
        // A null version from before versioning, with an upload in flight against it (a credit).
        await put(store, obj(bucket.id, 'mp', { size: 8 }));
        const up = await store.createUpload(upload(bucket.id, 'mp'));
        const part = newId();
        assert.ok((await store.putUploadPart({ uploadId: up.uploadId, partNumber: 1, blobId: part, size: 6, etag: '"p"', checksum: null })).ok);
        await exact(f, 8, 1);
        // Completed once versioning is Enabled: the null version stays as noncurrent, so its credit becomes usage.
        const done = await store.completeUpload(up.uploadId, { ...obj(bucket.id, 'mp', { size: 6, parts: [{ blobId: part, size: 6, etag: '"p"' }] }), versioning: 'Enabled' });
        assert.ok(done.ok);
        assert.notEqual(done.object.versionId, 'null');
        assert.equal(done.replaced, undefined);
        assert.deepEqual(short(await all(store, bucket.id)), ['mp:V*', 'mp:V']);
        assert.equal((await queued(store)).size, 0);
        await exact(f, 14, 2);
        // In an Enabled bucket a part earns no credit (nothing will be replaced).
        const up2 = await store.createUpload(upload(bucket.id, 'mp'));
        const part2 = newId();
        await store.putUploadPart({ uploadId: up2.uploadId, partNumber: 1, blobId: part2, size: 5, etag: '"q"', checksum: null });
        assert.equal(await store.getKeyCredit(bucket.id, 'mp'), 0);
        await exact(f, 19, 2);
        const done2 = await store.completeUpload(up2.uploadId, { ...obj(bucket.id, 'mp', { size: 5, parts: [{ blobId: part2, size: 5, etag: '"q"' }] }), versioning: 'Enabled' });
        assert.ok(done2.ok);
        await exact(f, 19, 3);
        // Suspended: a completion replaces the null version (noncurrent here), giving its bytes back.
        const up3 = await store.createUpload(upload(bucket.id, 'mp'));
        const part3 = newId();
        await store.putUploadPart({ uploadId: up3.uploadId, partNumber: 1, blobId: part3, size: 2, etag: '"r"', checksum: null });
        const done3 = await store.completeUpload(up3.uploadId, { ...obj(bucket.id, 'mp', { size: 2, parts: [{ blobId: part3, size: 2, etag: '"r"' }] }), versioning: 'Suspended' });
        assert.ok(done3.ok);
        assert.equal(done3.object.versionId, 'null');
        assert.equal(done3.replaced?.size, 8);
        await exact(f, 13, 3);
      }));

    it('lists versions newest first within a key, keys in UTF-8 order, paging by key and version-id markers', () =>
      withStore(async ({ store, bucket, user }) => {
        const keys = ['a', 'a/b', 'b', 'é', '日本', '😀'];
        const made: Array<{ key: string; versionId: string }> = [];
        for (const k of keys) {
          for (let i = 0; i < 3; i++) made.push({ key: k, versionId: (await put(store, obj(bucket.id, k), 'Enabled')).versionId });
        }
        const m = await store.deleteObject(bucket.id, 'b', undefined, { versioning: 'Enabled', ownerId: user.id });
        assert.ok(m.ok && m.marker);
        made.push({ key: 'b', versionId: m.marker.versionId });
        const expected = [...made].sort((x, y) => compareKeys(x.key, y.key) || (x.versionId < y.versionId ? 1 : -1)).map((x) => `${x.key}/${x.versionId}`);
        const listed = await all(store, bucket.id);
        assert.deepEqual(listed.map((x) => `${x.key}/${x.versionId}`), expected);
        // isLatest: the first of each key
        assert.deepEqual(listed.filter((x) => x.isLatest).map((x) => x.key), keys);
        assert.ok(listed.find((x) => x.key === 'b' && x.isLatest)?.isDeleteMarker);
        // every page size, resuming from (key, versionId) of the last row: nothing lost or repeated
        for (const limit of [1, 2, 3, 5, 7]) {
          const out: ListedVersion[] = [];
          let start = '';
          let versionIdMarker: string | undefined;
          for (;;) {
            const page = await store.scanObjectVersions(bucket.id, { prefix: '', start, versionIdMarker, limit });
            out.push(...page);
            if (page.length < limit) break;
            start = page.at(-1)!.key;
            versionIdMarker = page.at(-1)!.versionId;
          }
          assert.deepEqual(out.map((x) => `${x.key}/${x.versionId}`), expected, `limit ${limit}`);
          assert.deepEqual(out.map((x) => x.isLatest), listed.map((x) => x.isLatest), `isLatest, limit ${limit}`);
        }
        // a key marker alone starts after every version of that key; a prefix bounds the scan
        assert.deepEqual((await store.scanObjectVersions(bucket.id, { prefix: '', start: 'b', limit: 100 })).map((x) => x.key)[0], 'é');
        assert.deepEqual(new Set((await all(store, bucket.id, 'a')).map((x) => x.key)), new Set(['a', 'a/b']));
        assert.deepEqual(await store.scanObjectVersions(bucket.id, { prefix: '', start: 'a', versionIdMarker: 'unknown', limit: 1 }).then((p) => p.map((x) => x.key)), ['a/b']);
        // inclusive start (a seek to a common prefix's successor)
        assert.equal((await store.scanObjectVersions(bucket.id, { prefix: '', start: 'b', inclusive: true, limit: 1 }))[0]?.key, 'b');
      }));

    it('a bucket with only noncurrent versions or markers is not empty', () =>
      withStore(async ({ store, bucket, user }) => {
        await store.deleteObject(bucket.id, 'k', undefined, { versioning: 'Enabled', ownerId: user.id });
        assert.equal(await store.deleteBucket(bucket.id), 'not-empty');
      }));

    it('versions of one key written together each land, in order', () =>
      withStore(async (f) => {
        const { store, bucket } = f;
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.putObject({ ...obj(bucket.id, 'hot', { size: i + 1 }), versioning: 'Enabled' })));
        assert.ok(results.every((r) => r.ok));
        const listed = await all(store, bucket.id);
        assert.equal(listed.length, 20);
        assert.equal(new Set(listed.map((x) => x.versionId)).size, 20);
        assert.deepEqual(listed.map((x) => x.versionId), [...listed.map((x) => x.versionId)].sort().reverse(), 'newest first');
        await exact(f, 210, 20);
      }));
  });
}
