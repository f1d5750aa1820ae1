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
import type { BucketRecord, MetadataStore, NewObject, ObjectPart, PutObjectResult, TenancyRecord, UserRecord, WriteQuota } from './store.js';

interface Fixture {
  store: MetadataStore;
  tenancy: TenancyRecord;
  user: UserRecord;
  bucket: BucketRecord;
}

const quotedEtag = () => `"${newId()}"`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

      it('finds users by email address, without regard to case; an empty address matches no one', () =>
        withStore(async ({ store, user }) => {
          const ann = await store.createUser({ username: 'ann', email: 'Ann@Example.org', passwordHash: 'h' });
          assert.deepEqual(await store.listUsersByEmail('ann@example.ORG'), [ann]);
          assert.deepEqual(await store.listUsersByEmail('nobody@example.org'), []);
          assert.equal(user.email, '');
          assert.deepEqual(await store.listUsersByEmail(''), []);
          const twin = await store.createUser({ username: 'ann2', email: 'ann@example.org', passwordHash: 'h' });
          assert.deepEqual((await store.listUsersByEmail('ann@example.org')).map((u) => u.id), [ann.id, twin.id]);
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
          const expected = { ...rest, lastModified: 1_700_000_000_123, acl: null };
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

    describe('tenancy settings, users and memberships', () => {
      it('new tenancies and buckets carry their defaults; createTenancy takes defaultAccess', () =>
        withStore(async ({ store, tenancy, bucket }) => {
          assert.deepEqual(tenancy, {
            id: tenancy.id, name: tenancy.name, createdAt: tenancy.createdAt,
            defaultAccess: 'owner', quotaBytes: null, quotaObjects: null, quotaAction: 'read-delete', listed: false,
          });
          assert.deepEqual(await store.getTenancyById(tenancy.id), tenancy);
          assert.deepEqual({ policy: bucket.policy, acl: bucket.acl, quotaBytes: bucket.quotaBytes, quotaObjects: bucket.quotaObjects },
            { policy: null, acl: null, quotaBytes: null, quotaObjects: null });
          assert.deepEqual(await store.getBucketById(bucket.id), bucket);
          const open = await store.createTenancy({ name: 'open-' + newId().slice(0, 6), defaultAccess: 'members' });
          assert.equal(open.defaultAccess, 'members');
          assert.deepEqual(await store.getTenancyByName(open.name), open);
          assert.deepEqual((await store.listTenancies()).find((t) => t.id === open.id), open);
        }));

      it('updateTenancy changes only the given fields; null clears a quota', () =>
        withStore(async ({ store, tenancy }) => {
          const a = await store.updateTenancy(tenancy.id, { quotaBytes: 1000, quotaObjects: 10 });
          assert.deepEqual(a, { ...tenancy, quotaBytes: 1000, quotaObjects: 10 });
          const b = await store.updateTenancy(tenancy.id, { quotaAction: 'lockout', defaultAccess: 'members' });
          assert.deepEqual(b, { ...tenancy, quotaBytes: 1000, quotaObjects: 10, quotaAction: 'lockout', defaultAccess: 'members' });
          const c = await store.updateTenancy(tenancy.id, { quotaBytes: null });
          assert.deepEqual(c, { ...tenancy, quotaBytes: null, quotaObjects: 10, quotaAction: 'lockout', defaultAccess: 'members' });
          assert.deepEqual(await store.updateTenancy(tenancy.id, {}), c);
          assert.deepEqual(await store.getTenancyById(tenancy.id), c);
          assert.equal(await store.updateTenancy('nope', { quotaBytes: 1 }), undefined);
        }));

      it('deleteTenancy refuses a tenancy with buckets; otherwise removes memberships, keys and requests', () =>
        withStore(async ({ store, tenancy, user, bucket }) => {
          assert.equal(await store.deleteTenancy(tenancy.id), false);
          assert.equal(await store.deleteTenancy('nope'), false);
          await store.addMember(tenancy.id, user.id, 'MANAGER');
          const key = await store.createAccessKey({ accessKeyId: 'GRKD' + newId().slice(0, 12), userId: user.id, tenancyId: tenancy.id, name: 'k', secretEncrypted: 'e', expiresAt: null, restriction: null });
          const other = await store.createUser({ username: 'req-' + newId().slice(0, 6), passwordHash: 'h' });
          const req = await store.createJoinRequest({ tenancyId: tenancy.id, userId: other.id, message: 'hi' });
          await store.appendAudit({ actorId: user.id, tenancyId: tenancy.id, action: 'tenancy.create', target: tenancy.name, details: {} });
          assert.equal(await store.deleteBucket(bucket.id), 'deleted');
          assert.equal(await store.deleteTenancy(tenancy.id), true);
          assert.equal(await store.getTenancyById(tenancy.id), undefined);
          assert.equal(await store.getMembership(tenancy.id, user.id), undefined);
          assert.deepEqual(await store.listMembershipsOfUser(user.id), []);
          assert.equal(await store.getAccessKey(key.accessKeyId), undefined);
          assert.equal(await store.getJoinRequest(req.id), undefined);
          assert.deepEqual(await store.listJoinRequestsOfUser(other.id), []);
          // Users survive; the audit trail outlives the tenancy.
          assert.ok(await store.getUserById(user.id));
          assert.equal((await store.listAudit(tenancy.id, 10)).length, 1);
          assert.equal(await store.deleteTenancy(tenancy.id), false);
        }));

      it('lists users by name and updates only the given fields', () =>
        withStore(async ({ store, user }) => {
          const b = await store.createUser({ username: 'bbb', passwordHash: 'h1' });
          const a = await store.createUser({ username: 'aaa', passwordHash: 'h2', email: 'a@x' });
          const names = (await store.listUsers()).map((u) => u.username);
          assert.deepEqual(names, [...names].sort(compareKeys));
          assert.deepEqual(new Set(names), new Set([user.username, 'aaa', 'bbb']));
          const u1 = await store.updateUser(a.id, { displayName: 'Ann' });
          assert.deepEqual(u1, { ...a, displayName: 'Ann' });
          const u2 = await store.updateUser(a.id, { passwordHash: 'h3', isSiteAdmin: true, email: '' });
          assert.deepEqual(u2, { ...a, displayName: 'Ann', passwordHash: 'h3', isSiteAdmin: true, email: '' });
          assert.deepEqual(await store.getUserById(a.id), u2);
          assert.deepEqual(await store.updateUser(b.id, { isSiteAdmin: false }), b);
          assert.equal(await store.updateUser('nope', { displayName: 'x' }), undefined);
        }));

      it('lists members and memberships; a role change keeps createdAt', () =>
        withStore(async ({ store, tenancy, user }) => {
          const t2 = await store.createTenancy({ name: 'second-' + newId().slice(0, 6) });
          const v = await store.createUser({ username: 'v-' + newId().slice(0, 6), passwordHash: 'h' });
          const m1 = await store.addMember(tenancy.id, user.id, 'USER');
          await sleep(3);
          const m2 = await store.addMember(tenancy.id, v.id, 'DEPUTY');
          const m3 = await store.addMember(t2.id, user.id, 'MANAGER');
          assert.deepEqual(await store.listMembers(tenancy.id), [m1, m2]);
          assert.deepEqual(await store.listMembers(t2.id), [m3]);
          assert.deepEqual(await store.listMembers('nope'), []);
          const mine = await store.listMembershipsOfUser(user.id);
          assert.equal(mine.length, 2);
          assert.deepEqual(new Set(mine.map((m) => JSON.stringify(m))), new Set([m1, m3].map((m) => JSON.stringify(m))));
          assert.deepEqual(await store.listMembershipsOfUser(v.id), [m2]);
          await sleep(3);
          const changed = await store.addMember(tenancy.id, user.id, 'MANAGER');
          assert.deepEqual(changed, { ...m1, role: 'MANAGER' });
          assert.deepEqual((await store.listMembers(tenancy.id))[0], changed);
        }));

      it('removeMember removes the membership and that tenancy’s keys of the user, nothing else', () =>
        withStore(async ({ store, tenancy, user }) => {
          const t2 = await store.createTenancy({ name: 'second-' + newId().slice(0, 6) });
          const v = await store.createUser({ username: 'v-' + newId().slice(0, 6), passwordHash: 'h' });
          await store.addMember(tenancy.id, user.id, 'USER');
          await store.addMember(t2.id, user.id, 'USER');
          await store.addMember(tenancy.id, v.id, 'USER');
          const mk = (userId: string, tenancyId: string) => store.createAccessKey({ accessKeyId: 'GRK' + newId().slice(0, 13), userId, tenancyId, name: 'k', secretEncrypted: 'e', expiresAt: null, restriction: null });
          const gone = await mk(user.id, tenancy.id);
          const gone2 = await mk(user.id, tenancy.id);
          const kept = await mk(user.id, t2.id);
          const theirs = await mk(v.id, tenancy.id);
          await store.touchAccessKey(gone.accessKeyId, 5);
          assert.equal(await store.removeMember(tenancy.id, user.id), true);
          assert.equal(await store.getMembership(tenancy.id, user.id), undefined);
          assert.equal(await store.getAccessKey(gone.accessKeyId), undefined);
          assert.equal(await store.getAccessKey(gone2.accessKeyId), undefined);
          assert.deepEqual((await store.listAccessKeys(user.id)).map((k) => k.accessKeyId), [kept.accessKeyId]);
          assert.ok(await store.getAccessKey(theirs.accessKeyId));
          assert.ok(await store.getMembership(t2.id, user.id));
          assert.ok(await store.getMembership(tenancy.id, v.id));
          assert.equal(await store.removeMember(tenancy.id, user.id), false);
        }));
    });

    describe('groups', () => {
      it('creates, finds, lists, deletes; names are unique', () =>
        withStore(async ({ store }) => {
          const g = await store.createGroup('staff');
          assert.deepEqual(g, { id: g.id, name: 'staff', source: 'local', createdAt: g.createdAt });
          assert.equal(typeof g.createdAt, 'number');
          const l = await store.createGroup('alpha', 'ldap');
          assert.equal(l.source, 'ldap');
          assert.deepEqual(await store.getGroupByName('staff'), g);
          assert.equal(await store.getGroupByName('nope'), undefined);
          assert.deepEqual(await store.listGroups(), [l, g]);
          await assert.rejects(store.createGroup('staff'));
          await assert.rejects(store.createGroup('staff', 'ldap'));
          assert.equal(await store.deleteGroup(l.id), true);
          assert.equal(await store.deleteGroup(l.id), false);
          assert.deepEqual(await store.listGroups(), [g]);
        }));

      it('adds and removes members; lists both ways', () =>
        withStore(async ({ store, user }) => {
          const v = await store.createUser({ username: 'a-first', passwordHash: 'h' });
          const g = await store.createGroup('staff');
          const h = await store.createGroup('admins');
          await store.addGroupMember(g.id, user.id);
          await store.addGroupMember(g.id, user.id); // idempotent
          await store.addGroupMember(g.id, v.id);
          await store.addGroupMember(h.id, user.id);
          assert.deepEqual((await store.listGroupMembers(g.id)).map((u) => u.username), ['a-first', user.username].sort(compareKeys));
          assert.deepEqual(await store.listGroupMembers(h.id), [user]);
          assert.deepEqual(await store.listGroupsOfUser(user.id), ['admins', 'staff']);
          assert.deepEqual(await store.listGroupsOfUser(v.id), ['staff']);
          assert.deepEqual(await store.listGroupsOfUser('nobody'), []);
          assert.equal(await store.removeGroupMember(g.id, user.id), true);
          assert.equal(await store.removeGroupMember(g.id, user.id), false);
          assert.deepEqual(await store.listGroupsOfUser(user.id), ['admins']);
          // Deleting a group removes its memberships.
          await store.deleteGroup(h.id);
          assert.deepEqual(await store.listGroupsOfUser(user.id), []);
        }));

      it('setDirectoryGroups replaces only the user’s ldap group memberships, creating groups as needed', () =>
        withStore(async ({ store, user }) => {
          const v = await store.createUser({ username: 'v-' + newId().slice(0, 6), passwordHash: 'h' });
          const local = await store.createGroup('local-team');
          await store.addGroupMember(local.id, user.id);
          await store.setDirectoryGroups(user.id, ['physics', 'chemistry', 'physics']);
          assert.deepEqual(await store.listGroupsOfUser(user.id), ['chemistry', 'local-team', 'physics']);
          assert.equal((await store.getGroupByName('physics'))?.source, 'ldap');
          await store.setDirectoryGroups(v.id, ['physics']);
          await store.setDirectoryGroups(user.id, ['biology', 'physics']);
          assert.deepEqual(await store.listGroupsOfUser(user.id), ['biology', 'local-team', 'physics']);
          // The dropped group stays (other users may be in it); other users are untouched.
          assert.ok(await store.getGroupByName('chemistry'));
          assert.deepEqual(await store.listGroupsOfUser(v.id), ['physics']);
          await store.setDirectoryGroups(user.id, []);
          assert.deepEqual(await store.listGroupsOfUser(user.id), ['local-team']);
          // A directory group named like a local group does not touch the local group's membership.
          await store.setDirectoryGroups(v.id, ['local-team']);
          assert.deepEqual((await store.listGroupMembers(local.id)).map((u) => u.id), [user.id]);
          assert.equal((await store.getGroupByName('local-team'))?.source, 'local');
          await store.setDirectoryGroups(user.id, []);
          assert.deepEqual(await store.listGroupsOfUser(user.id), ['local-team']);
        }));
    });

    describe('join requests', () => {
      it('are created pending, listed newest first, decided once; approval adds the member with the role', () =>
        withStore(async ({ store, tenancy, user }) => {
          const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => store.createUser({ username: `${n}-${newId().slice(0, 6)}`, passwordHash: 'h' })));
          const ra = await store.createJoinRequest({ tenancyId: tenancy.id, userId: a!.id, message: 'please' });
          assert.deepEqual(ra, { id: ra.id, tenancyId: tenancy.id, userId: a!.id, message: 'please', status: 'pending', createdAt: ra.createdAt, decidedAt: null, decidedBy: null, role: null, reason: '' });
          assert.deepEqual(await store.getJoinRequest(ra.id), ra);
          assert.equal(await store.getJoinRequest('nope'), undefined);
          const rb = await store.createJoinRequest({ tenancyId: tenancy.id, userId: b!.id, message: '' });
          const rc = await store.createJoinRequest({ tenancyId: tenancy.id, userId: c!.id, message: 'me too' });
          const t2 = await store.createTenancy({ name: 'second-' + newId().slice(0, 6) });
          const ra2 = await store.createJoinRequest({ tenancyId: t2.id, userId: a!.id, message: 'and here' });
          assert.deepEqual((await store.listJoinRequests(tenancy.id)).map((r) => r.id), [rc.id, rb.id, ra.id]);
          assert.deepEqual((await store.listJoinRequestsOfUser(a!.id)).map((r) => r.id), [ra2.id, ra.id]);

          const approved = await store.decideJoinRequest(ra.id, { approve: true, role: 'DEPUTY', decidedBy: user.id });
          assert.ok(approved);
          assert.equal(approved.status, 'approved');
          assert.equal(approved.role, 'DEPUTY');
          assert.equal(approved.decidedBy, user.id);
          assert.equal(typeof approved.decidedAt, 'number');
          assert.deepEqual(await store.getJoinRequest(ra.id), approved);
          assert.equal((await store.getMembership(tenancy.id, a!.id))?.role, 'DEPUTY');
          // Decided once only.
          assert.equal(await store.decideJoinRequest(ra.id, { approve: false, role: 'USER', decidedBy: user.id }), undefined);
          assert.equal(await store.decideJoinRequest('nope', { approve: true, role: 'USER', decidedBy: user.id }), undefined);
          assert.equal((await store.getMembership(tenancy.id, a!.id))?.role, 'DEPUTY');

          const rejected = await store.decideJoinRequest(rb.id, { approve: false, role: 'USER', decidedBy: user.id });
          assert.equal(rejected?.status, 'rejected');
          assert.equal(rejected?.role, null);
          assert.equal(await store.getMembership(tenancy.id, b!.id), undefined);
          assert.equal(await store.decideJoinRequest(rb.id, { approve: true, role: 'USER', decidedBy: user.id }), undefined);
          assert.equal(await store.getMembership(tenancy.id, b!.id), undefined);

          assert.deepEqual((await store.listJoinRequests(tenancy.id, 'pending')).map((r) => r.id), [rc.id]);
          assert.deepEqual((await store.listJoinRequests(tenancy.id, 'approved')).map((r) => r.id), [ra.id]);
          assert.deepEqual((await store.listJoinRequests(tenancy.id, 'rejected')).map((r) => r.id), [rb.id]);
          assert.equal((await store.listJoinRequestsOfUser(b!.id))[0]?.status, 'rejected');
          assert.deepEqual(await store.listJoinRequests('nope'), []);
        }));
    });

    describe('portal toolkit: listed tenancies, rejection reasons, landing pages, usage groups, notices', () => {
      it('a tenancy is unlisted until its managers list it', () =>
        withStore(async ({ store, tenancy }) => {
          assert.equal(tenancy.listed, false);
          assert.equal((await store.getTenancyById(tenancy.id))?.listed, false);
          assert.equal((await store.updateTenancy(tenancy.id, { listed: true }))?.listed, true);
          assert.equal((await store.getTenancyByName(tenancy.name))?.listed, true);
          assert.equal((await store.listTenancies()).find((t) => t.id === tenancy.id)?.listed, true);
          // Other settings keep the flag.
          assert.equal((await store.updateTenancy(tenancy.id, { defaultAccess: 'members' }))?.listed, true);
          assert.equal((await store.updateTenancy(tenancy.id, { listed: false }))?.listed, false);
        }));

      it('a rejection keeps its reason; an approval has none', () =>
        withStore(async ({ store, tenancy, user }) => {
          const [a, b] = await Promise.all(['a', 'b'].map((n) => store.createUser({ username: `${n}-${newId().slice(0, 6)}`, passwordHash: 'h' })));
          const ra = await store.createJoinRequest({ tenancyId: tenancy.id, userId: a!.id, message: 'hi' });
          const rb = await store.createJoinRequest({ tenancyId: tenancy.id, userId: b!.id, message: 'hi' });
          const rejected = await store.decideJoinRequest(ra.id, { approve: false, role: 'USER', decidedBy: user.id, reason: 'ask your PI first — then again' });
          assert.equal(rejected?.reason, 'ask your PI first — then again');
          assert.equal((await store.getJoinRequest(ra.id))?.reason, 'ask your PI first — then again');
          assert.equal((await store.listJoinRequestsOfUser(a!.id))[0]?.reason, 'ask your PI first — then again');
          const approved = await store.decideJoinRequest(rb.id, { approve: true, role: 'USER', decidedBy: user.id, reason: 'ignored' });
          assert.equal(approved?.reason, '');
        }));

      it("a bucket's landing page settings are set, read with the bucket, and removed", () =>
        withStore(async ({ store, tenancy, bucket }) => {
          assert.equal(bucket.landing, null);
          assert.equal(await store.setBucketConfiguration(bucket.id, 'landing', '{"enabled":true}'), true);
          assert.equal((await store.getBucket(tenancy.id, bucket.name))?.landing, '{"enabled":true}');
          assert.equal((await store.getBucketById(bucket.id))?.landing, '{"enabled":true}');
          assert.equal((await store.listBuckets(tenancy.id))[0]?.landing, '{"enabled":true}');
          assert.equal(await store.setBucketConfiguration(bucket.id, 'landing', null), true);
          assert.equal((await store.getBucketById(bucket.id))?.landing, null);
          assert.equal(await store.setBucketConfiguration('nope', 'landing', '{}'), false);
        }));

      it('usage by owner (largest first) and by top-level prefix (key order, bytes compared raw)', () =>
        withStore(async ({ store, tenancy, bucket, user }) => {
          const other = await store.createBucket({ tenancyId: tenancy.id, name: 'other', ownerId: user.id, region: 'us-east-1' });
          assert.ok(other.created);
          const put = async (b: string, key: string, size: number, ownerId: string) => assert.ok((await store.putObject(obj(b, key, { size, ownerId }))).ok);
          await put(bucket.id, 'raw/a.nc', 100, 'alice');
          await put(bucket.id, 'raw/deep/b.nc', 50, 'bob');
          await put(bucket.id, 'top.txt', 7, 'alice');
          await put(bucket.id, 'zarr/x', 1000, 'bob');
          await put(bucket.id, 'ü/é', 3, 'alice');
          await put(other.bucket.id, 'z', 2 ** 33, 'carol');
          assert.deepEqual(await store.usageByPrefix(bucket.id), [
            { group: '', bytes: 7, objects: 1 },
            { group: 'raw/', bytes: 150, objects: 2 },
            { group: 'zarr/', bytes: 1000, objects: 1 },
            { group: 'ü/', bytes: 3, objects: 1 },
          ]);
          assert.deepEqual(await store.usageByOwner(tenancy.id), [
            { group: 'carol', bytes: 2 ** 33, objects: 1 },
            { group: 'bob', bytes: 1050, objects: 2 },
            { group: 'alice', bytes: 110, objects: 3 },
          ]);
          const empty = await store.createTenancy({ name: `t-${newId().slice(0, 8)}` });
          assert.deepEqual(await store.usageByOwner(empty.id), []);
        }));

      it('a notice is claimed once; released ones (by key prefix) can be claimed again', () =>
        withStore(async ({ store }) => {
          assert.equal(await store.hasNotice('key-expiry:K1'), false);
          assert.equal(await store.claimNotice('key-expiry:K1', 1000), true);
          assert.equal(await store.claimNotice('key-expiry:K1', 2000), false, 'claimed before');
          assert.equal(await store.hasNotice('key-expiry:K1'), true);
          const results = await Promise.all([1, 2, 3, 4].map((i) => store.claimNotice('quota:t1:warning', i)));
          assert.deepEqual(results.filter(Boolean).length, 1, 'parallel claims: one wins');
          await store.claimNotice('quota:t1:critical', 5);
          await store.claimNotice('quota:t10:warning', 5);
          assert.equal(await store.releaseNotices('quota:t1:'), 2);
          assert.equal(await store.hasNotice('quota:t10:warning'), true, 'a longer key sharing characters is kept');
          assert.equal(await store.claimNotice('quota:t1:warning', 6), true);
          assert.equal(await store.releaseNotices('100%_'), 0);
        }));
    });

    describe('audit trail', () => {
      it('appends and lists newest first, per tenancy or site-wide, with a limit', () =>
        withStore(async ({ store, tenancy, user }) => {
          const t2 = await store.createTenancy({ name: 'second-' + newId().slice(0, 6) });
          const before = Date.now();
          const made = [];
          for (let i = 0; i < 6; i++) {
            made.push(await store.appendAudit({
              actorId: i === 5 ? null : user.id, tenancyId: i === 4 ? null : i % 2 ? t2.id : tenancy.id,
              action: 'member.add', target: `u${i}`, details: { i, nested: { role: 'USER', list: [1, 'two'] } },
            }));
          }
          const first = made[0]!;
          assert.deepEqual(first, { id: first.id, at: first.at, actorId: user.id, tenancyId: tenancy.id, action: 'member.add', target: 'u0', details: { i: 0, nested: { role: 'USER', list: [1, 'two'] } } });
          assert.ok(first.at >= before - 5 && first.at <= Date.now() + 5);
          assert.deepEqual(await store.listAudit(undefined, 100), [...made].reverse());
          assert.deepEqual(await store.listAudit(undefined, 2), [made[5], made[4]]);
          assert.deepEqual((await store.listAudit(tenancy.id, 100)).map((a) => a.target), ['u2', 'u0']);
          assert.deepEqual((await store.listAudit(t2.id, 100)).map((a) => a.target), ['u5', 'u3', 'u1']);
          assert.deepEqual(await store.listAudit(tenancy.id, 0), []);
          assert.equal((await store.listAudit(undefined, 100))[0]!.actorId, null);
        }));
    });

    describe('bucket and object settings', () => {
      it('sets and clears bucket policy, ACL and quota', () =>
        withStore(async ({ store, tenancy, bucket }) => {
          const policy = '{"Version":"2012-10-17","Statement":[]}';
          assert.equal(await store.setBucketConfiguration(bucket.id, 'policy', policy), true);
          assert.equal(await store.setBucketConfiguration(bucket.id, 'acl', '{"grants":[]}'), true);
          assert.equal(await store.setBucketQuota(bucket.id, { bytes: 100, objects: null }), true);
          const expected = { ...bucket, policy, acl: '{"grants":[]}', quotaBytes: 100, quotaObjects: null };
          assert.deepEqual(await store.getBucketById(bucket.id), expected);
          assert.deepEqual(await store.getBucket(tenancy.id, bucket.name), expected);
          assert.deepEqual(await store.listBuckets(tenancy.id), [expected]);
          assert.equal(await store.setBucketConfiguration(bucket.id, 'policy', null), true);
          assert.equal(await store.setBucketConfiguration(bucket.id, 'acl', null), true);
          assert.equal(await store.setBucketQuota(bucket.id, { bytes: null, objects: 7 }), true);
          assert.deepEqual(await store.getBucketById(bucket.id), { ...bucket, quotaObjects: 7 });
          assert.equal(await store.setBucketConfiguration('nope', 'policy', policy), false);
          assert.equal(await store.setBucketConfiguration('nope', 'acl', null), false);
          assert.equal(await store.setBucketQuota('nope', { bytes: 1, objects: 1 }), false);
        }));

      it('sets and clears the bucket CORS configuration', () =>
        withStore(async ({ store, tenancy, bucket }) => {
          assert.equal(bucket.cors, null);
          const cors = '[{"allowedOrigins":["*"],"allowedMethods":["GET"]}]';
          assert.equal(await store.setBucketConfiguration(bucket.id, 'cors', cors), true);
          assert.deepEqual(await store.getBucketById(bucket.id), { ...bucket, cors });
          assert.deepEqual(await store.getBucket(tenancy.id, bucket.name), { ...bucket, cors });
          assert.deepEqual(await store.listBuckets(tenancy.id), [{ ...bucket, cors }]);
          assert.equal(await store.setBucketConfiguration(bucket.id, 'cors', null), true);
          assert.deepEqual(await store.getBucketById(bucket.id), bucket);
          assert.equal(await store.setBucketConfiguration('nope', 'cors', cors), false);
        }));

      it('keeps each bucket configuration apart, its text byte for byte', () =>
        withStore(async ({ store, bucket }) => {
          // What a client may send: unicode, escapes, quotes, newlines, a NUL escape, trailing spaces.
          const policy = '{ "Version": "2012-10-17",\n  "Statement": [{"Sid": "\u00e9 \\"x\\" ☃ \\u0000", "Effect":"Allow"}] }  ';
          const landing = '{"enabled":true,"title":"Ünïcode \\n"}';
          await Promise.all([
            store.setBucketConfiguration(bucket.id, 'policy', policy),
            store.setBucketConfiguration(bucket.id, 'landing', landing),
            store.setBucketConfiguration(bucket.id, 'cors', '[]'),
          ]);
          assert.deepEqual(await store.getBucketById(bucket.id), { ...bucket, policy, landing, cors: '[]' });
          assert.equal(await store.setBucketConfiguration(bucket.id, 'landing', null), true);
          assert.equal(await store.setBucketConfiguration(bucket.id, 'acl', ''), true);
          assert.deepEqual(await store.getBucketById(bucket.id), { ...bucket, policy, cors: '[]', acl: '' });
          // Removing what is not set is no error.
          assert.equal(await store.setBucketConfiguration(bucket.id, 'landing', null), true);
          await assert.rejects(store.setBucketConfiguration(bucket.id, 'v' as 'acl', 'x'), /unknown bucket configuration kind/);
          await assert.rejects(store.setBucketConfiguration(bucket.id, '__proto__' as 'acl', 'x'), /unknown bucket configuration kind/);
        }));

      it('stores object and upload ACLs; setObjectAcl replaces only the ACL', () =>
        withStore(async ({ store, bucket }) => {
          const put = await store.putObject(obj(bucket.id, 'k', { acl: '{"canned":"public-read"}' }));
          assert.ok(put.ok);
          assert.equal(put.object.acl, '{"canned":"public-read"}');
          assert.equal((await store.getObject(bucket.id, 'k'))?.acl, '{"canned":"public-read"}');
          assert.equal(await store.setObjectAcl(bucket.id, 'k', null), true);
          const got = await store.getObject(bucket.id, 'k');
          assert.deepEqual(got, { ...put.object, acl: null });
          assert.equal(await store.setObjectAcl(bucket.id, 'k', '{"x":1}'), true);
          assert.equal((await store.getObject(bucket.id, 'k'))?.acl, '{"x":1}');
          assert.equal(await store.setObjectAcl(bucket.id, 'missing', null), false);
          assert.equal((await store.takeBlobDeletions(Date.now() + 1, 100)).length, 0, 'no blob released');
          // A new version without an ACL is private again.
          await store.putObject(obj(bucket.id, 'k'));
          assert.equal((await store.getObject(bucket.id, 'k'))?.acl, null);

          const plain = await store.createUpload(upload(bucket.id, 'mp'));
          assert.equal(plain.acl, null);
          assert.deepEqual(await store.getUpload(plain.uploadId), plain);
          const withAcl = await store.createUpload({ ...upload(bucket.id, 'mp2'), acl: '{"canned":"private"}' });
          assert.equal(withAcl.acl, '{"canned":"private"}');
          assert.deepEqual(await store.getUpload(withAcl.uploadId), withAcl);
          assert.equal((await store.scanUploads(bucket.id, { prefix: 'mp2', keyMarker: '', uploadIdMarker: '', limit: 10 }))[0]?.acl, '{"canned":"private"}');
        }));
    });

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
