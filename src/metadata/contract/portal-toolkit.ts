/** MetadataStore contract: the portal toolkit: listed tenancies, rejection reasons, landing pages, usage groups, notices. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import { obj, type ContractContext } from './fixture.js';

export function portalToolkitContract({ withStore }: ContractContext): void {
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
}
