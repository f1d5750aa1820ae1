/**
 * The MetadataStore contract: one node:test suite every implementation must pass (SQLite always,
 * PostgreSQL in CI). It talks to the store only through the `MetadataStore` interface.
 *
 * Usage (in an implementation's test file):
 *   metadataStoreContract('sqlite :memory:', () => openSqliteMetadataStore(':memory:'));
 *
 * `open` must return a fresh, empty store; each test opens its own and closes it afterwards.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../lib/ids.js';
import { compareKeys } from './key-range.js';
import type { BucketRecord, MetadataStore, NewObject, ObjectPart, TenancyRecord, UserRecord } from './store.js';

interface Fixture {
  store: MetadataStore;
  tenancy: TenancyRecord;
  user: UserRecord;
  bucket: BucketRecord;
}

const quotedEtag = () => `"${newId()}"`;

/** A minimal single-blob object; override what the test cares about. */
function obj(bucketId: string, key: string, over: Partial<NewObject> = {}): NewObject {
  return {
    bucketId,
    key,
    size: 4,
    etag: quotedEtag(),
    contentType: 'application/octet-stream',
    headers: {},
    inline: null,
    parts: [{ blobId: newId(), size: over.size ?? 4 }],
    checksum: null,
    tagging: null,
    ownerId: 'owner',
    storageClass: 'STANDARD',
    ...over,
  };
}

export function metadataStoreContract(name: string, open: () => Promise<MetadataStore>): void {
  /** Runs `fn` with a fresh store holding one tenancy, one user and one bucket; always closes it. */
  async function withStore(fn: (f: Fixture) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      const tenancy = await store.createTenancy({ name: `t-${newId().slice(0, 8)}` });
      const user = await store.createUser({ username: `u-${newId().slice(0, 8)}`, passwordHash: 'scrypt$x' });
      const made = await store.createBucket({ tenancyId: tenancy.id, name: 'bucket', ownerId: user.id, region: 'us-east-1' });
      assert.ok(made.created);
      await fn({ store, tenancy, user, bucket: made.bucket });
    } finally {
      await store.close();
    }
  }

  async function assertUsage(store: MetadataStore, f: { tenancyId: string; bucketId: string }, bytes: number, objects: number) {
    assert.deepEqual(await store.getBucketUsage(f.bucketId), { bytes, objects }, 'bucket usage');
    assert.deepEqual(await store.getTenancyUsage(f.tenancyId), { bytes, objects }, 'tenancy usage');
  }

  async function queued(store: MetadataStore): Promise<Set<string>> {
    return new Set(await store.takeBlobDeletions(Date.now() + 60_000, 100_000));
  }

  describe(`MetadataStore contract: ${name}`, () => {
    describe('settings', () => {
      it('gets, sets and overwrites', () =>
        withStore(async ({ store }) => {
          assert.equal(await store.getSetting('missing'), undefined);
          await store.setSetting('bootstrapped', 'yes');
          assert.equal(await store.getSetting('bootstrapped'), 'yes');
          await store.setSetting('bootstrapped', 'no');
          assert.equal(await store.getSetting('bootstrapped'), 'no');
        }));
    });

    describe('tenancies, users, memberships', () => {
      it('creates and finds tenancies; lists by name; rejects a duplicate name', () =>
        withStore(async ({ store, tenancy }) => {
          assert.equal(typeof tenancy.createdAt, 'number');
          assert.deepEqual(await store.getTenancyById(tenancy.id), tenancy);
          assert.deepEqual(await store.getTenancyByName(tenancy.name), tenancy);
          assert.equal(await store.getTenancyById('nope'), undefined);
          assert.equal(await store.getTenancyByName('nope'), undefined);
          const a = await store.createTenancy({ name: 'aaa' });
          const z = await store.createTenancy({ name: 'zzz' });
          const names = (await store.listTenancies()).map((t) => t.name);
          assert.deepEqual(names, [...names].sort(compareKeys));
          assert.ok(names.includes(a.name) && names.includes(z.name) && names.includes(tenancy.name));
          await assert.rejects(store.createTenancy({ name: 'aaa' }));
        }));

      it('creates users with defaults and finds them by id and name', () =>
        withStore(async ({ store, user }) => {
          assert.equal(user.displayName, '');
          assert.equal(user.email, '');
          assert.equal(user.isSiteAdmin, false);
          assert.deepEqual(await store.getUserById(user.id), user);
          assert.deepEqual(await store.getUserByName(user.username), user);
          const admin = await store.createUser({ username: 'root', displayName: 'Root', email: 'r@x', passwordHash: 'h', isSiteAdmin: true });
          assert.deepEqual(await store.getUserByName('root'), admin);
          assert.equal(admin.isSiteAdmin, true);
          assert.equal(await store.getUserById('nope'), undefined);
          assert.equal(await store.getUserByName('nope'), undefined);
          await assert.rejects(store.createUser({ username: 'root', passwordHash: 'h' }));
        }));

      it('adds members and changes their role', () =>
        withStore(async ({ store, tenancy, user }) => {
          assert.equal(await store.getMembership(tenancy.id, user.id), undefined);
          const m = await store.addMember(tenancy.id, user.id, 'USER');
          assert.deepEqual(m, { tenancyId: tenancy.id, userId: user.id, role: 'USER', createdAt: m.createdAt });
          assert.deepEqual(await store.getMembership(tenancy.id, user.id), m);
          const m2 = await store.addMember(tenancy.id, user.id, 'MANAGER');
          assert.equal(m2.role, 'MANAGER');
          assert.equal((await store.getMembership(tenancy.id, user.id))?.role, 'MANAGER');
        }));
    });

    describe('access keys', () => {
      it('creates, gets, lists, touches and deletes', () =>
        withStore(async ({ store, tenancy, user }) => {
          const k1 = await store.createAccessKey({
            accessKeyId: 'GRK1' + newId().slice(0, 12), userId: user.id, tenancyId: tenancy.id, name: 'laptop',
            secretEncrypted: 'enc:1', expiresAt: Date.now() + 86_400_000, restriction: '{"readOnly":true}',
          });
          assert.equal(k1.lastUsedAt, null);
          assert.deepEqual(await store.getAccessKey(k1.accessKeyId), k1);
          const k2 = await store.createAccessKey({
            accessKeyId: 'GRK2' + newId().slice(0, 12), userId: user.id, tenancyId: tenancy.id, name: 'ci',
            secretEncrypted: 'enc:2', expiresAt: null, restriction: null,
          });
          const listed = await store.listAccessKeys(user.id);
          assert.deepEqual(new Set(listed.map((k) => k.accessKeyId)), new Set([k1.accessKeyId, k2.accessKeyId]));
          assert.deepEqual(await store.listAccessKeys('nobody'), []);

          // Touch is best-effort and may be coalesced, but this process must read its own touch back.
          await store.touchAccessKey(k2.accessKeyId, 1_000);
          await store.touchAccessKey(k2.accessKeyId, 3_000);
          await store.touchAccessKey(k2.accessKeyId, 2_000);
          assert.equal((await store.getAccessKey(k2.accessKeyId))?.lastUsedAt, 3_000);

          assert.equal(await store.deleteAccessKey(k1.accessKeyId), true);
          assert.equal(await store.deleteAccessKey(k1.accessKeyId), false);
          assert.equal(await store.getAccessKey(k1.accessKeyId), undefined);
          assert.deepEqual((await store.listAccessKeys(user.id)).map((k) => k.accessKeyId), [k2.accessKeyId]);
        }));
    });

    describe('buckets', () => {
      it('creates once, returns the existing one, finds and lists by name', () =>
        withStore(async ({ store, tenancy, user, bucket }) => {
          const again = await store.createBucket({ tenancyId: tenancy.id, name: 'bucket', ownerId: 'other', region: 'eu' });
          assert.deepEqual(again, { created: false, existing: bucket });
          assert.deepEqual(await store.getBucket(tenancy.id, 'bucket'), bucket);
          assert.deepEqual(await store.getBucketById(bucket.id), bucket);
          assert.equal(await store.getBucket(tenancy.id, 'nope'), undefined);
          assert.equal(await store.getBucketById('nope'), undefined);
          await store.createBucket({ tenancyId: tenancy.id, name: 'alpha', ownerId: user.id, region: 'us-east-1' });
          await store.createBucket({ tenancyId: tenancy.id, name: 'zeta', ownerId: user.id, region: 'us-east-1' });
          assert.deepEqual((await store.listBuckets(tenancy.id)).map((b) => b.name), ['alpha', 'bucket', 'zeta']);
          // Bucket names are unique per tenancy, not site-wide.
          const other = await store.createTenancy({ name: 'other-' + newId().slice(0, 6) });
          const same = await store.createBucket({ tenancyId: other.id, name: 'bucket', ownerId: user.id, region: 'us-east-1' });
          assert.ok(same.created);
          assert.notEqual(same.bucket.id, bucket.id);
          assert.deepEqual((await store.listBuckets(other.id)).map((b) => b.name), ['bucket']);
        }));

      it('deletes only empty buckets', () =>
        withStore(async ({ store, tenancy, bucket }) => {
          assert.equal(await store.deleteBucket('nope'), 'not-found');
          await store.putObject(obj(bucket.id, 'k'));
          assert.equal(await store.deleteBucket(bucket.id), 'not-empty');
          await store.deleteObject(bucket.id, 'k');
          const up = await store.createUpload(upload(bucket.id, 'mp'));
          assert.equal(await store.deleteBucket(bucket.id), 'not-empty');
          assert.equal(await store.abortUpload(up.uploadId), true);
          assert.equal(await store.deleteBucket(bucket.id), 'deleted');
          assert.equal(await store.getBucketById(bucket.id), undefined);
          assert.equal(await store.getBucket(tenancy.id, 'bucket'), undefined);
          assert.deepEqual(await store.getBucketUsage(bucket.id), { bytes: 0, objects: 0 });
          assert.deepEqual(await store.getTenancyUsage(tenancy.id), { bytes: 0, objects: 0 });
          assert.equal(await store.deleteBucket(bucket.id), 'not-found');
          // The name is free again.
          assert.ok((await store.createBucket({ tenancyId: tenancy.id, name: 'bucket', ownerId: 'o', region: 'r' })).created);
        }));
    });

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
          const expected = { ...rest, lastModified: 1_700_000_000_123 };
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

      it('lists every key in UTF-8 byte order, without inline bytes', () =>
        withStore(async ({ store, bucket }) => {
          await fill(store, bucket.id);
          const all = await store.scanObjects(bucket.id, { prefix: '', start: '', limit: 1000 });
          assert.deepEqual(all.map((o) => o.key), sorted);
          assert.ok(all.every((o) => o.inline === null));
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
  });
}

function upload(bucketId: string, key: string) {
  return {
    uploadId: newId(),
    bucketId,
    key,
    ownerId: 'owner',
    contentType: 'application/octet-stream',
    headers: {},
    tagging: null,
    storageClass: 'STANDARD',
    checksumAlgorithm: null,
    checksumType: null,
  };
}
