/** MetadataStore contract: join requests. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import type { ContractContext } from './fixture.js';

export function joinRequestsContract({ withStore }: ContractContext): void {
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
}
