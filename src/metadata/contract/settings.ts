/** MetadataStore contract: site settings (a key/value table). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ContractContext } from './fixture.js';

export function settingsContract({ withStore }: ContractContext): void {
  describe('schema', () => {
    it('has applied every migration this build knows (readiness asks)', () =>
      withStore(async ({ store }) => {
        assert.equal(await store.pendingMigrations(), 0);
      }));
  });

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
}
