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

const CACHED = new Set<keyof MetadataStore>([
  'getAccessKey', 'getUserById', 'getTenancyById', 'getTenancyByName', 'getBucket', 'getBucketById', 'getMembership',
  'listGroupsOfUser', 'listMembershipsOfUser',
]);

/** Writes after which any cached lookup may be wrong. */
const INVALIDATING = new Set<keyof MetadataStore>([
  'createTenancy', 'updateTenancy', 'deleteTenancy', 'createUser', 'updateUser', 'addMember', 'removeMember',
  'createGroup', 'deleteGroup', 'addGroupMember', 'removeGroupMember', 'setDirectoryGroups', 'decideJoinRequest',
  'createAccessKey', 'deleteAccessKey', 'createBucket', 'deleteBucket', 'setBucketPolicy', 'setBucketAcl',
  'setBucketQuota', 'setBucketCors', 'setBucketLanding',
]);

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
    if (CACHED.has(name)) {
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
    if (INVALIDATING.has(name)) {
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
