/** MetadataStore contract: groups and directory group membership. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import { compareKeys } from '../key-range.js';
import type { ContractContext } from './fixture.js';

export function groupsContract({ withStore }: ContractContext): void {
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
}
