/**
 * The MetadataStore contract: one node:test suite every implementation must pass (SQLite always, PostgreSQL
 * in CI), one file per aggregate over one shared fixture (fixture.ts). It talks to the store only through
 * the `MetadataStore` interface.
 *
 * Usage (in an implementation's test file):
 *   metadataStoreContract('sqlite :memory:', () => openSqliteMetadataStore(':memory:'));
 *
 * `open` must return a fresh, empty store; each test opens its own and closes it afterwards.
 */
import { describe } from 'node:test';
import type { MetadataStore } from '../store.js';
import { contractContext } from './fixture.js';
import { settingsContract } from './settings.js';
import { tenanciesContract } from './tenancies.js';
import { accessKeysContract } from './access-keys.js';
import { groupsContract } from './groups.js';
import { joinRequestsContract } from './join-requests.js';
import { auditContract } from './audit.js';
import { sessionsContract } from './sessions.js';
import { portalToolkitContract } from './portal-toolkit.js';
import { bucketsContract } from './buckets.js';
import { objectsContract } from './objects.js';
import { usageContract } from './usage.js';
import { quotaContract } from './quota.js';
import { blobGcContract } from './blob-gc.js';
import { logSpoolContract } from './log-spool.js';
import { versionsContract } from './versions.js';

export function metadataStoreContract(name: string, open: () => Promise<MetadataStore>): void {
  const ctx = contractContext(open);
  describe(`MetadataStore contract: ${name}`, () => {
    settingsContract(ctx);
    tenanciesContract(ctx);
    accessKeysContract(ctx);
    groupsContract(ctx);
    joinRequestsContract(ctx);
    auditContract(ctx);
    sessionsContract(ctx);
    portalToolkitContract(ctx);
    bucketsContract(ctx);
    objectsContract(ctx);
    usageContract(ctx);
    quotaContract(ctx);
    blobGcContract(ctx);
    logSpoolContract(ctx);
    versionsContract(ctx);
  });
}
