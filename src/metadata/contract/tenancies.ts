/** MetadataStore contract: tenancies, users and memberships. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import { compareKeys } from '../key-range.js';
import { sleep, type ContractContext } from './fixture.js';

export function tenanciesContract({ withStore, open }: ContractContext): void {
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
}
