/** MetadataStore contract: the audit trail. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import type { ContractContext } from './fixture.js';

export function auditContract({ withStore }: ContractContext): void {
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
}
