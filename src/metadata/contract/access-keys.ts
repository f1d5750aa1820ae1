/** MetadataStore contract: access keys. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import type { ContractContext } from './fixture.js';

export function accessKeysContract({ withStore }: ContractContext): void {
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
}
