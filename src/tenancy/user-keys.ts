/**
 * Self-service access keys: a member creates keys for a tenancy they belong to (name, required expiry no
 * later than the site's longest lifetime, optional read-only / bucket-prefix scopes), lists and deletes them;
 * a tenancy's MANAGER and DEPUTY list its members' keys and revoke them. Listings put live keys first and
 * expired ones last (iam/access-keys.ts `keyIsExpired` is the rule). The key the portal makes for a
 * browser's uploads and share links has a name no one else may give a key (`PORTAL_KEY_NAME`).
 * The secret is returned by `create` once and appears nowhere else: not in listings, the audit or logs.
 */
import type { AccessKeyRecord, AccessKeyRepository, TenancyRecord, TenancyRepository, UserRecord, UserRepository } from '../metadata/store.js';
import { keyIsExpired, type AccessKeys } from '../iam/access-keys.js';
import { parseKeyRestriction, type KeyRestriction } from '../iam/key-restriction.js';
import type { Actor, AuditTrail } from './audit.js';
import { forbidden, invalid, notFound } from './domain-error.js';
import { assertMayAssign, type ActingRole } from './membership.js';

/** The name of the key the portal makes for a browser's uploads, downloads and share links. */
export const PORTAL_KEY_NAME = 'portal (browser uploads and share links)';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface NewKeyInput {
  tenancy: string;
  name: string;
  /** Epoch ms; required, in the future, at most maxLifetimeDays ahead. */
  expiresAt: number;
  readOnly?: boolean;
  scopes?: Array<{ bucket: string; prefix?: string }> | null;
}

/** A key as its owner sees it in a listing: never the secret. */
export interface KeyView {
  key: AccessKeyRecord;
  tenancy: string;
  restriction: KeyRestriction | null;
  /** Whose key it is (username). */
  owner: string;
  expired: boolean;
  /** The portal's own key for this person's browser uploads and share links. */
  portal: boolean;
}

/** Live keys first (oldest first), then expired ones (most recently expired first). */
function byStanding(a: KeyView, b: KeyView): number {
  if (a.expired !== b.expired) return a.expired ? 1 : -1;
  if (a.expired) return (b.key.expiresAt ?? 0) - (a.key.expiresAt ?? 0);
  return a.key.createdAt - b.key.createdAt || (a.key.accessKeyId < b.key.accessKeyId ? -1 : 1);
}

export class UserKeys {
  constructor(
    private readonly metadata: AccessKeyRepository & TenancyRepository & UserRepository,
    private readonly accessKeys: AccessKeys,
    private readonly audit: AuditTrail,
    private readonly maxLifetimeDays: number,
  ) {}

  /** The longest lifetime a key may have, in days (the site's setting). */
  get maxLifetime(): number {
    return this.maxLifetimeDays;
  }

  /** `system`: the portal's own key (the only one that may carry PORTAL_KEY_NAME). */
  async create(owner: UserRecord, input: NewKeyInput, now = Date.now(), system = false): Promise<{ view: KeyView; secret: string }> {
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 64) throw invalid('a key name must be 1 to 64 characters');
    if (!system && input.name.trim() === PORTAL_KEY_NAME) throw invalid(`"${PORTAL_KEY_NAME}" is the name of the portal's own key; choose another`);
    if (!Number.isFinite(input.expiresAt)) throw invalid('the expiry date is required');
    if (input.expiresAt <= now) throw invalid('the expiry date must be in the future');
    if (input.expiresAt > now + this.maxLifetimeDays * DAY_MS) {
      throw invalid(`the expiry date must be at most ${this.maxLifetimeDays} days from now (${new Date(now + this.maxLifetimeDays * DAY_MS).toISOString().slice(0, 10)}), the site's longest key lifetime`);
    }
    const tenancy = await this.metadata.getTenancyByName(input.tenancy);
    if (!tenancy) throw notFound(`no tenancy named "${input.tenancy}"`);
    if (!(await this.metadata.getMembership(tenancy.id, owner.id))) throw forbidden(`you are not a member of ${tenancy.name}; keys are created for tenancies you belong to`);
    const scopes = input.scopes ?? null;
    if (scopes !== null) {
      if (!Array.isArray(scopes) || scopes.length === 0) throw invalid('scopes must be a non-empty list of {bucket, prefix?} (or omitted for every bucket)');
      for (const s of scopes) {
        if (typeof s?.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s.bucket)) throw invalid(`scope bucket "${String(s?.bucket)}" is not a bucket name`);
        if (s.prefix !== undefined && typeof s.prefix !== 'string') throw invalid('a scope prefix must be a string');
      }
    }
    const restriction: KeyRestriction | null = input.readOnly === true || scopes !== null ? { readOnly: input.readOnly === true, scopes } : null;
    const { record, secret } = await this.accessKeys.create({
      userId: owner.id,
      tenancyId: tenancy.id,
      name: input.name.trim(),
      expiresAt: input.expiresAt,
      restriction: restriction === null ? null : JSON.stringify(restriction),
    });
    await this.audit.record({ userId: owner.id }, tenancy.id, 'key.create', record.accessKeyId, { name: record.name, expiresAt: new Date(input.expiresAt).toISOString(), restriction });
    return { view: this.viewOf(record, tenancy.name, owner.username, now), secret };
  }

  private viewOf(k: AccessKeyRecord, tenancy: string, owner: string, now = Date.now()): KeyView {
    return { key: k, tenancy, restriction: parseKeyRestriction(k.restriction), owner, expired: keyIsExpired(k, now), portal: k.name === PORTAL_KEY_NAME };
  }

  async list(owner: UserRecord): Promise<KeyView[]> {
    const keys = await this.metadata.listAccessKeys(owner.id);
    const names = new Map<string, string>();
    const views: KeyView[] = [];
    for (const k of keys) {
      let t = names.get(k.tenancyId);
      if (t === undefined) {
        t = (await this.metadata.getTenancyById(k.tenancyId))?.name ?? k.tenancyId;
        names.set(k.tenancyId, t);
      }
      views.push(this.viewOf(k, t, owner.username));
    }
    return views.sort(byStanding);
  }

  /** Every member's keys for this tenancy (for its MANAGER and DEPUTY). */
  async listOfTenancy(tenancy: TenancyRecord): Promise<KeyView[]> {
    const views: KeyView[] = [];
    for (const m of await this.metadata.listMembers(tenancy.id)) {
      const user = await this.metadata.getUserById(m.userId);
      if (!user) continue;
      for (const k of await this.metadata.listAccessKeys(user.id)) if (k.tenancyId === tenancy.id) views.push(this.viewOf(k, tenancy.name, user.username));
    }
    return views.sort(byStanding);
  }

  /** A MANAGER or DEPUTY revokes a member's key for this tenancy (a DEPUTY not a MANAGER's). */
  async revoke(actor: Actor, acting: ActingRole, tenancy: TenancyRecord, accessKeyId: string): Promise<void> {
    const k = await this.metadata.getAccessKey(accessKeyId);
    if (!k || k.tenancyId !== tenancy.id) throw notFound(`${tenancy.name} has no access key ${accessKeyId}`);
    const membership = await this.metadata.getMembership(tenancy.id, k.userId);
    if (membership) assertMayAssign(acting, membership.role);
    else if (acting !== 'site-admin' && acting !== 'MANAGER') throw forbidden('only a MANAGER may revoke the key of someone who is no longer a member');
    await this.metadata.deleteAccessKey(accessKeyId);
    const owner = await this.metadata.getUserById(k.userId);
    await this.audit.record(actor, tenancy.id, 'key.revoke', accessKeyId, { name: k.name, owner: owner?.username ?? k.userId });
  }

  async delete(actor: Actor, owner: UserRecord, accessKeyId: string): Promise<void> {
    const k = await this.metadata.getAccessKey(accessKeyId);
    if (!k || k.userId !== owner.id) throw notFound(`you have no access key ${accessKeyId}`);
    await this.metadata.deleteAccessKey(accessKeyId);
    await this.audit.record(actor, k.tenancyId, 'key.delete', accessKeyId, { name: k.name });
  }
}
