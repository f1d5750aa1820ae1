/**
 * Quota arithmetic for administration: human sizes ("10GiB", "500MB", "1T"), and where a tenancy stands
 * against its quota (percent used and a level from the soft thresholds, default 80% and 95%).
 * Enforcement itself is in the metadata store's usage update (DESIGN §3), not here.
 */
import type { QuotaAction, TenancyRecord, UsageRecord } from '../metadata/store.js';
import { invalid } from './domain-error.js';

export const QUOTA_ACTIONS: readonly QuotaAction[] = ['read-delete', 'read-only', 'notify', 'lockout'];

export function isQuotaAction(v: unknown): v is QuotaAction {
  return typeof v === 'string' && (QUOTA_ACTIONS as readonly string[]).includes(v);
}

const UNITS: Record<string, number> = {
  '': 1, B: 1,
  K: 1024, KI: 1024, KIB: 1024, KB: 1e3,
  M: 1024 ** 2, MI: 1024 ** 2, MIB: 1024 ** 2, MB: 1e6,
  G: 1024 ** 3, GI: 1024 ** 3, GIB: 1024 ** 3, GB: 1e9,
  T: 1024 ** 4, TI: 1024 ** 4, TIB: 1024 ** 4, TB: 1e12,
  P: 1024 ** 5, PI: 1024 ** 5, PIB: 1024 ** 5, PB: 1e15,
};

/**
 * Parses a size: a byte count, or a number with a unit. `KB/MB/GB/TB/PB` are decimal (SI), `KiB…PiB`
 * and the bare letters `K/M/G/T/P` binary (as df, rclone and s3cmd read them). `unlimited`/`none` = null.
 */
export function parseSize(text: string | number): number | null {
  if (typeof text === 'number') {
    if (!Number.isSafeInteger(text) || text < 0) throw invalid(`size ${text} is not a whole number of bytes`);
    return text;
  }
  const s = text.trim();
  if (/^(unlimited|none)$/i.test(s)) return null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(s);
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) throw invalid(`size "${text}" is not a size such as 500MB, 10GiB, 1T or a byte count`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw invalid(`size "${text}" is too large`);
  return bytes;
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

/** Where usage stands against a quota: the fuller of the two dimensions decides. */
export function quotaStatus(usage: UsageRecord, quota: Pick<TenancyRecord, 'quotaBytes' | 'quotaObjects'>, thresholds: QuotaThresholds = DEFAULT_THRESHOLDS): QuotaStatus {
  const ratios: number[] = [];
  if (quota.quotaBytes !== null) ratios.push(quota.quotaBytes === 0 ? (usage.bytes > 0 ? Infinity : 1) : usage.bytes / quota.quotaBytes);
  if (quota.quotaObjects !== null) ratios.push(quota.quotaObjects === 0 ? (usage.objects > 0 ? Infinity : 1) : usage.objects / quota.quotaObjects);
  if (ratios.length === 0) return { percent: null, level: 'ok' };
  const ratio = Math.max(...ratios);
  const percent = Number.isFinite(ratio) ? Math.round(ratio * 1000) / 10 : 100;
  const full = (quota.quotaBytes !== null && usage.bytes >= quota.quotaBytes) || (quota.quotaObjects !== null && usage.objects >= quota.quotaObjects);
  const level: QuotaLevel = full ? 'full' : percent >= thresholds.critical ? 'critical' : percent >= thresholds.warning ? 'warning' : 'ok';
  return { percent, level };
}
