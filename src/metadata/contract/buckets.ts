/** MetadataStore contract: buckets and their configurations (bucket-configuration.ts), object ACLs and tags. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import { obj, upload, type ContractContext } from './fixture.js';

export function bucketsContract({ withStore }: ContractContext): void {
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
}
