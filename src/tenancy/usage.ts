/**
 * Usage repair: recounts a tenancy's usage from its object and upload-part rows, reports any drift from
 * the counters, and (with fix) overwrites the counters. Counters should never drift (they are updated in
 * the same transaction as the data); this is the operator's check that they did not.
 */
import type { BucketRepository, QuotaRepository, TenancyRecord, UsageRecord } from '../metadata/store.js';
import type { Actor, AuditTrail } from './audit.js';

export interface UsageDrift {
  scope: 'tenancy' | 'bucket';
  /** Tenancy name or bucket name. */
  name: string;
  counted: UsageRecord;
  recorded: UsageRecord;
}

export interface UsageRepairReport {
  counted: UsageRecord;
  recorded: UsageRecord;
  /** Every place where counters and rows disagree (empty when consistent). */
  drift: UsageDrift[];
  fixed: boolean;
}

const differs = (a: UsageRecord, b: UsageRecord): boolean => a.bytes !== b.bytes || a.objects !== b.objects;

export async function repairUsage(metadata: Pick<BucketRepository, 'getBucketById'> & Pick<QuotaRepository, 'recountUsage'>, audit: AuditTrail, actor: Actor, tenancy: TenancyRecord, fix: boolean): Promise<UsageRepairReport> {
  const r = await metadata.recountUsage(tenancy.id, fix);
  const drift: UsageDrift[] = [];
  if (differs(r.counted, r.recorded)) drift.push({ scope: 'tenancy', name: tenancy.name, counted: r.counted, recorded: r.recorded });
  for (const b of r.buckets) {
    if (!differs(b.counted, b.recorded)) continue;
    const bucket = await metadata.getBucketById(b.bucketId);
    drift.push({ scope: 'bucket', name: bucket?.name ?? b.bucketId, counted: b.counted, recorded: b.recorded });
  }
  if (fix) await audit.record(actor, tenancy.id, 'usage.repair', tenancy.name, { drift: drift.length, counted: r.counted, recorded: r.recorded });
  return { counted: r.counted, recorded: r.recorded, drift, fixed: fix && drift.length > 0 };
}
