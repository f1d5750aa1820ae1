/**
 * A short-lived read cache in front of a MetadataStore, for the lookups every S3 request makes (access
 * key, user, tenancy, bucket, membership): without it they were a quarter of the CPU of a small GET.
 *
 * Freshness, as the tenancy and scale-out issues require:
 * - a change made through this process (key deleted, policy set, member removed, quota changed…) clears
 *   the whole cache at once, so it takes effect on the very next request here;
 * - a change made through another gateway is seen here within `ttlMs` (default 500 ms, under the one
 *   second a cluster allows), because every entry expires by then.
 * Data-plane writes (objects, parts, reservations, touches) do not clear it: they change none of these.
 */
import type { MetadataStore } from './store.js';

/**
 * What the cache does with each store method, declared for every one (a new method fails to compile until it
 * is declared here): 'cached' lookups are remembered for `ttlMs`; 'invalidate' writes clear the whole cache
 * before and after (any cached lookup may be wrong after them); 'pass' goes straight through (data-plane
 * reads and writes, and writes that change nothing cached: objects, parts, reservations, touches, sessions,
 * audit). When in doubt, 'invalidate': a needless clear costs a lookup, a missing one serves stale buckets.
 */
export type CachePolicy = 'cached' | 'invalidate' | 'pass';
export const READ_CACHE_POLICY: { readonly [K in keyof MetadataStore]-?: CachePolicy } = {
  close: 'pass',
  pendingMigrations: 'pass',
  getSetting: 'pass',
  setSetting: 'pass',
  createTenancy: 'invalidate',
  getTenancyById: 'cached',
  getTenancyByName: 'cached',
  listTenancies: 'pass',
  createUser: 'invalidate',
  getUserById: 'cached',
  getUserByName: 'pass',
  listUsersByEmail: 'pass',
  updateTenancy: 'invalidate',
  deleteTenancy: 'invalidate',
  listUsers: 'pass',
  updateUser: 'invalidate',
  addMember: 'invalidate',
  getMembership: 'cached',
  listMembers: 'pass',
  listMembershipsOfUser: 'cached',
  removeMember: 'invalidate',
  createGroup: 'invalidate',
  getGroupByName: 'pass',
  listGroups: 'pass',
  deleteGroup: 'invalidate',
  addGroupMember: 'invalidate',
  removeGroupMember: 'invalidate',
  listGroupMembers: 'pass',
  listGroupsOfUser: 'cached',
  setDirectoryGroups: 'invalidate',
  createJoinRequest: 'pass',
  getJoinRequest: 'pass',
  listJoinRequests: 'pass',
  listJoinRequestsOfUser: 'pass',
  decideJoinRequest: 'invalidate',
  appendAudit: 'pass',
  listAudit: 'pass',
  createAccessKey: 'invalidate',
  getAccessKey: 'cached',
  listAccessKeys: 'pass',
  deleteAccessKey: 'invalidate',
  touchAccessKey: 'pass',
  createBucket: 'invalidate',
  getBucket: 'cached',
  getBucketById: 'cached',
  listBuckets: 'pass',
  deleteBucket: 'invalidate',
  setBucketQuota: 'invalidate',
  setBucketConfiguration: 'invalidate',
  getObject: 'pass',
  putObject: 'pass',
  deleteObject: 'pass',
  deleteObjectVersion: 'pass',
  getObjectVersion: 'pass',
  getDeleteMarker: 'pass',
  scanObjectVersions: 'pass',
  setObjectTagging: 'pass',
  setObjectAcl: 'pass',
  scanObjects: 'pass',
  createUpload: 'pass',
  getUpload: 'pass',
  scanUploads: 'pass',
  putUploadPart: 'pass',
  listUploadParts: 'pass',
  completeUpload: 'pass',
  abortUpload: 'pass',
  getCompletedUpload: 'pass',
  getKeyCredit: 'pass',
  getTenancyUsage: 'pass',
  getBucketUsage: 'pass',
  recountUsage: 'pass',
  usageByOwner: 'pass',
  usageByPrefix: 'pass',
  reserveQuota: 'pass',
  releaseQuota: 'pass',
  renewQuota: 'pass',
  clearQuotaReservations: 'pass',
  recordUsageSample: 'pass',
  listUsageSamples: 'pass',
  createSession: 'pass',
  getSession: 'pass',
  updateSession: 'pass',
  deleteSession: 'pass',
  deleteSessionsOfUser: 'pass',
  deleteExpiredSessions: 'pass',
  beginAuthAttempt: 'pass',
  withdrawAuthFailure: 'pass',
  clearAuthFailures: 'pass',
  deleteAuthFailuresBefore: 'pass',
  claimNotice: 'pass',
  releaseNotices: 'pass',
  hasNotice: 'pass',
  takeBlobDeletions: 'pass',
  ackBlobDeletions: 'pass',
  isBlobKnown: 'pass',
  appendLogRecords: 'pass',
  takeLogRecords: 'pass',
  ackLogRecords: 'pass',
};

const MAX_ENTRIES = 50_000;

export function withReadCache<T extends MetadataStore>(store: T, ttlMs = 500): T {
  if (ttlMs <= 0) return store;
  const entries = new Map<string, { at: number; value: Promise<unknown> }>();
  // One wrapper per method, made on first use (every S3 request makes several lookups: building a closure
  // for each was measurable). Rebuilt if the method itself is replaced (tests inject failures that way).
  const wrappers = new Map<PropertyKey, { fn: unknown; wrapper: unknown }>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const made = wrappers.get(prop);
      if (made?.fn === value) return made.wrapper;
      const wrapper = wrap(target, prop, value as (...args: unknown[]) => unknown);
      wrappers.set(prop, { fn: value, wrapper });
      return wrapper;
    },
  });

  function wrap(target: T, prop: PropertyKey, fn: (...args: unknown[]) => unknown): unknown {
    const name = prop as keyof MetadataStore;
    const policy = Object.hasOwn(READ_CACHE_POLICY, name) ? READ_CACHE_POLICY[name] : 'pass';
    if (policy === 'cached') {
      return (...args: unknown[]) => {
        const key = `${String(name)}\u0000${args.join('\u0000')}`;
        const now = Date.now();
        const hit = entries.get(key);
        if (hit && now - hit.at < ttlMs) return hit.value;
        const p = Promise.resolve(fn.apply(target, args));
        if (entries.size >= MAX_ENTRIES) entries.clear();
        entries.set(key, { at: now, value: p });
        // A failed lookup is not remembered.
        p.catch(() => entries.delete(key));
        return p;
      };
    }
    if (policy === 'invalidate') {
      return async (...args: unknown[]) => {
        entries.clear();
        try {
          return await fn.apply(target, args);
        } finally {
          // Lookups that started during the write may have cached the old value.
          entries.clear();
        }
      };
    }
    return fn.bind(target);
  }
}
