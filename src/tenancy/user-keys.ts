/**
 * Self-service access keys: a member creates keys for a tenancy they belong to (name, required expiry no
 * later than the site's longest lifetime, optional read-only / bucket-prefix scopes), lists and deletes them.
 * The secret is returned by `create` once and appears nowhere else: not in listings, the audit or logs.
 */
import type { AccessKeyRecord, MetadataStore, UserRecord } from '../metadata/store.js';
import type { AccessKeys } from '../iam/access-keys.js';
import { parseKeyRestriction, type KeyRestriction } from '../iam/key-restriction.js';
import type { Actor, AuditTrail } from './audit.js';
import { forbidden, invalid, notFound } from './domain-error.js';

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
}

export class UserKeys {
  constructor(
    private readonly metadata: MetadataStore,
    private readonly accessKeys: AccessKeys,
    private readonly audit: AuditTrail,
    private readonly maxLifetimeDays: number,
  ) {}

  async create(owner: UserRecord, input: NewKeyInput, now = Date.now()): Promise<{ view: KeyView; secret: string }> {
    if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 64) throw invalid('a key name must be 1 to 64 characters');
    if (!Number.isFinite(input.expiresAt)) throw invalid('expiresAt is required (an ISO 8601 date-time)');
    if (input.expiresAt <= now) throw invalid('expiresAt must be in the future');
    if (input.expiresAt > now + this.maxLifetimeDays * DAY_MS) throw invalid(`expiresAt must be at most ${this.maxLifetimeDays} days from now (the site's longest key lifetime)`);
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
    return { view: { key: record, tenancy: tenancy.name, restriction }, secret };
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
      views.push({ key: k, tenancy: t, restriction: parseKeyRestriction(k.restriction) });
    }
    return views;
  }

  async delete(actor: Actor, owner: UserRecord, accessKeyId: string): Promise<void> {
    const k = await this.metadata.getAccessKey(accessKeyId);
    if (!k || k.userId !== owner.id) throw notFound(`you have no access key ${accessKeyId}`);
    await this.metadata.deleteAccessKey(accessKeyId);
    await this.audit.record(actor, k.tenancyId, 'key.delete', accessKeyId, { name: k.name });
  }
}
