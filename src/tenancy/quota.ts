/**
 * Where a tenancy stands against its quota (percent used and a level from the soft thresholds, default 80%
 * and 95%): the one home of that rule, read by the S3 headers (core/quota.ts), the admin API, the CLI and
 * the portal (both through the API) and the quota notices, so they never disagree. Also human sizes
 * ("10GiB", "500MB", "1T") for the admin services. Enforcement itself is in the metadata store's usage
 * update (DESIGN §3), not here.
 */
import type { QuotaAction, TenancyRecord, UsageRecord } from '../metadata/store.js';
import { parseSize as parseLeafSize } from '../lib/format-size.js';
import { invalid } from './domain-error.js';

export const QUOTA_ACTIONS: readonly QuotaAction[] = ['read-delete', 'read-only', 'notify', 'lockout'];

export function isQuotaAction(v: unknown): v is QuotaAction {
  return typeof v === 'string' && (QUOTA_ACTIONS as readonly string[]).includes(v);
}

/** A size as the admin services read it (lib/format-size.ts), a bad one answered as invalid input. */
export function parseSize(text: string | number): number | null {
  try {
    return parseLeafSize(text);
  } catch (e) {
    if (e instanceof RangeError) throw invalid(e.message);
    throw e;
  }
}

export interface QuotaThresholds {
  /** Percent of the quota at which usage is reported as 'warning'. */
  warning: number;
  /** Percent at which it is 'critical' (still below full). */
  critical: number;
}
export const DEFAULT_THRESHOLDS: QuotaThresholds = { warning: 80, critical: 95 };

export type QuotaLevel = 'ok' | 'warning' | 'critical' | 'full';
export interface QuotaStatus {
  /** The larger of bytes% and objects% used (one decimal), or null when the tenancy has no quota. */
  percent: number | null;
  level: QuotaLevel;
}

/**
 * Where usage stands against a quota: the fuller of the two dimensions decides. The level comes from the
 * exact fraction, and the percent shown is rounded down (one decimal), so a shown figure never claims a
 * threshold the level has not reached: 79.96 % is "79.9" and "ok", never "80" and "ok" or "80" and
 * "warning"; "100" is only ever shown when full.
 */
export function quotaStatus(usage: UsageRecord, quota: Pick<TenancyRecord, 'quotaBytes' | 'quotaObjects'>, thresholds: QuotaThresholds = DEFAULT_THRESHOLDS): QuotaStatus {
  const dims: Array<{ used: number; limit: number }> = [];
  if (quota.quotaBytes !== null) dims.push({ used: usage.bytes, limit: quota.quotaBytes });
  if (quota.quotaObjects !== null) dims.push({ used: usage.objects, limit: quota.quotaObjects });
  if (dims.length === 0) return { percent: null, level: 'ok' };
  // Integer arithmetic (used × 1000 / limit, used × 100 against threshold × limit): 570 of 1000 is 57.0, not 56.9.
  const permille = Math.max(...dims.map(({ used, limit }) => (limit === 0 ? 1000 : Math.floor((used * 1000) / limit))));
  const reaches = (pct: number): boolean => dims.some(({ used, limit }) => used * 100 >= pct * limit);
  const full = dims.some(({ used, limit }) => used >= limit);
  const level: QuotaLevel = full ? 'full' : reaches(thresholds.critical) ? 'critical' : reaches(thresholds.warning) ? 'warning' : 'ok';
  return { percent: permille / 10, level };
}
