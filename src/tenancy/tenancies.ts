/**
 * Tenancies: the shared data areas a site sells space in. Creation (name rules), listing, the full view
 * (usage, quota, thresholds, endpoint URLs), deletion of empty tenancies, quota and default-access settings.
 */
import type { BucketRepository, DefaultAccess, QuotaAction, QuotaRepository, TenancyRecord, TenancyRepository, UsageRecord } from '../metadata/store.js';
import type { Actor, AuditTrail } from './audit.js';
import { DEFAULT_TENANCY } from './bootstrap.js';
import { conflict, invalid, notFound } from './domain-error.js';
import { tenancyEndpoints, type EndpointSettings, type TenancyEndpoints } from './endpoints.js';
import { isQuotaAction, quotaStatus, type QuotaStatus, type QuotaThresholds } from './quota.js';

/** Why a tenancy name is invalid, or undefined: lowercase letters, digits and hyphens, 3–40 characters. */
export function tenancyNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 40) return 'a tenancy name must be 3 to 40 characters long';
  if (!/^[a-z0-9-]+$/.test(name)) return 'a tenancy name may contain only lowercase letters, digits and hyphens';
  if (name.startsWith('-') || name.endsWith('-')) return 'a tenancy name must begin and end with a letter or digit';
  if (name.includes('--')) return 'a tenancy name must not contain two hyphens in a row';
  return undefined;
}

export function isDefaultAccess(v: unknown): v is DefaultAccess {
  return v === 'owner' || v === 'members';
}

/** Everything administration shows about a tenancy. */
export interface TenancyView {
  tenancy: TenancyRecord;
  usage: UsageRecord;
  status: QuotaStatus;
  thresholds: QuotaThresholds;
  endpoints: TenancyEndpoints;
  members: number;
  buckets: number;
}

export class Tenancies {
  constructor(
    private readonly metadata: BucketRepository & QuotaRepository & TenancyRepository,
    private readonly audit: AuditTrail,
    private readonly endpointSettings: EndpointSettings,
    private readonly thresholds: QuotaThresholds,
  ) {}

  /** The tenancy by name, or not-found. */
  async get(name: string): Promise<TenancyRecord> {
    const t = await this.metadata.getTenancyByName(name);
    if (!t) throw notFound(`no tenancy named "${name}"`);
    return t;
  }

  async create(actor: Actor, name: string, defaultAccess: DefaultAccess = 'owner'): Promise<TenancyRecord> {
    const problem = tenancyNameProblem(name);
    if (problem) throw invalid(problem);
    if (!isDefaultAccess(defaultAccess)) throw invalid('defaultAccess must be "owner" or "members"');
    if (await this.metadata.getTenancyByName(name)) throw conflict(`a tenancy named "${name}" already exists`);
    const t = await this.metadata.createTenancy({ name, defaultAccess });
    await this.audit.record(actor, t.id, 'tenancy.create', name, { defaultAccess });
    return t;
  }

  list(): Promise<TenancyRecord[]> {
    return this.metadata.listTenancies();
  }

  endpoints(name: string): TenancyEndpoints {
    return tenancyEndpoints(name, this.endpointSettings);
  }

  status(tenancy: TenancyRecord, usage: UsageRecord): QuotaStatus {
    return quotaStatus(usage, tenancy, this.thresholds);
  }

  async view(tenancy: TenancyRecord): Promise<TenancyView> {
    const [usage, members, buckets] = await Promise.all([
      this.metadata.getTenancyUsage(tenancy.id),
      this.metadata.listMembers(tenancy.id),
      this.metadata.listBuckets(tenancy.id),
    ]);
    return {
      tenancy,
      usage,
      status: this.status(tenancy, usage),
      thresholds: this.thresholds,
      endpoints: this.endpoints(tenancy.name),
      members: members.length,
      buckets: buckets.length,
    };
  }

  /** Deletes a tenancy that holds no buckets (with its memberships, keys and join requests). */
  async delete(actor: Actor, tenancy: TenancyRecord): Promise<void> {
    if (tenancy.name === DEFAULT_TENANCY) throw conflict(`the tenancy "${DEFAULT_TENANCY}" cannot be deleted`);
    const buckets = await this.metadata.listBuckets(tenancy.id);
    if (buckets.length > 0) throw conflict(`tenancy "${tenancy.name}" still has ${buckets.length} bucket(s); delete them first`);
    if (!(await this.metadata.deleteTenancy(tenancy.id))) throw conflict(`tenancy "${tenancy.name}" is not empty`);
    await this.audit.record(actor, null, 'tenancy.delete', tenancy.name);
  }

  /** Sets the quota: bytes and objects (null = unlimited), and what a full tenancy still allows. */
  async setQuota(actor: Actor, tenancy: TenancyRecord, q: { bytes: number | null; objects: number | null; action?: QuotaAction }): Promise<TenancyRecord> {
    for (const [k, v] of [['bytes', q.bytes], ['objects', q.objects]] as const) {
      if (v !== null && (!Number.isSafeInteger(v) || v < 0)) throw invalid(`quota ${k} must be a whole number ≥ 0 or null (unlimited)`);
    }
    if (q.action !== undefined && !isQuotaAction(q.action)) throw invalid('quota action must be one of read-delete, read-only, notify, lockout');
    const updated = await this.metadata.updateTenancy(tenancy.id, { quotaBytes: q.bytes, quotaObjects: q.objects, quotaAction: q.action ?? tenancy.quotaAction });
    if (!updated) throw notFound(`no tenancy named "${tenancy.name}"`);
    await this.audit.record(actor, tenancy.id, 'quota.set', tenancy.name, { bytes: q.bytes, objects: q.objects, action: updated.quotaAction });
    return updated;
  }

  /** Lists the tenancy (or not) among those people may find and ask to join. */
  async setListed(actor: Actor, tenancy: TenancyRecord, listed: boolean): Promise<TenancyRecord> {
    const updated = await this.metadata.updateTenancy(tenancy.id, { listed });
    if (!updated) throw notFound(`no tenancy named "${tenancy.name}"`);
    await this.audit.record(actor, tenancy.id, 'tenancy.set-listed', tenancy.name, { listed });
    return updated;
  }

  async setDefaultAccess(actor: Actor, tenancy: TenancyRecord, defaultAccess: DefaultAccess): Promise<TenancyRecord> {
    if (!isDefaultAccess(defaultAccess)) throw invalid('defaultAccess must be "owner" or "members"');
    const updated = await this.metadata.updateTenancy(tenancy.id, { defaultAccess });
    if (!updated) throw notFound(`no tenancy named "${tenancy.name}"`);
    await this.audit.record(actor, tenancy.id, 'tenancy.set-default-access', tenancy.name, { defaultAccess });
    return updated;
  }
}
