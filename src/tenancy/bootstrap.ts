/**
 * First start of an empty installation: a site administrator, the tenancy `default` with the
 * administrator as MANAGER, and one access key for them. Credentials come from GRANARY_ADMIN_PASSWORD,
 * GRANARY_ACCESS_KEY and GRANARY_SECRET_KEY when set, else they are generated and shown once.
 * Every later start leaves existing data alone.
 */
import { randomBytes } from 'node:crypto';
import type { SettingsRepository, TenancyRecord, TenancyRepository, UserRepository } from '../metadata/store.js';
import type { AccessKeys } from '../iam/access-keys.js';
import { hashPassword } from '../iam/passwords.js';

export const DEFAULT_TENANCY = 'default';
export const ADMIN_USERNAME = 'admin';

export interface BootstrapResult {
  /** Present only on the first start: what to show the operator once. */
  created?: { username: string; password: string; passwordGenerated: boolean; accessKeyId: string; secretKey: string; secretGenerated: boolean };
  tenancy: TenancyRecord;
}

export async function bootstrap(metadata: SettingsRepository & TenancyRepository & UserRepository, keys: AccessKeys, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapResult> {
  const done = await metadata.getSetting('bootstrapped');
  if (done) {
    const t = await metadata.getTenancyByName(DEFAULT_TENANCY);
    if (!t) throw new Error('the default tenancy is missing from an initialised installation');
    return { tenancy: t };
  }
  const password = env.GRANARY_ADMIN_PASSWORD || randomBytes(12).toString('base64url');
  const accessKeyId = env.GRANARY_ACCESS_KEY || undefined;
  const secret = env.GRANARY_SECRET_KEY || undefined;
  if (accessKeyId !== undefined && !/^[A-Za-z0-9]{3,128}$/.test(accessKeyId)) throw new Error('GRANARY_ACCESS_KEY must be 3-128 letters and digits');
  if (secret !== undefined && secret.length < 8) throw new Error('GRANARY_SECRET_KEY must be at least 8 characters');

  const tenancy = (await metadata.getTenancyByName(DEFAULT_TENANCY)) ?? (await metadata.createTenancy({ name: DEFAULT_TENANCY }));
  const admin =
    (await metadata.getUserByName(ADMIN_USERNAME)) ??
    (await metadata.createUser({ username: ADMIN_USERNAME, displayName: 'Site administrator', passwordHash: await hashPassword(password), isSiteAdmin: true }));
  await metadata.addMember(tenancy.id, admin.id, 'MANAGER');
  const key = await keys.create({ userId: admin.id, tenancyId: tenancy.id, name: 'bootstrap', expiresAt: null, accessKeyId, secret });
  await metadata.setSetting('bootstrapped', new Date().toISOString());
  return {
    tenancy,
    created: {
      username: ADMIN_USERNAME,
      password,
      passwordGenerated: !env.GRANARY_ADMIN_PASSWORD,
      accessKeyId: key.record.accessKeyId,
      secretKey: key.secret,
      secretGenerated: secret === undefined,
    },
  };
}
