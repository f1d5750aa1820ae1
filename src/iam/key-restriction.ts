/**
 * An access key's optional restriction: read-only, and/or limited to some buckets or bucket/prefix scopes.
 * It narrows what the key's owner could do, never widens it (authorize checks it after everything else).
 * Stored as JSON in AccessKeyRecord.restriction.
 */
export interface KeyRestriction {
  readOnly: boolean;
  /** null = every bucket; else the key works only inside these buckets (optionally under a key prefix). */
  scopes: Array<{ bucket: string; prefix?: string }> | null;
}

/** Actions a read-only key may still perform. */
const READ_ACTIONS = new Set([
  's3:GetObject', 's3:ListBucket', 's3:ListAllMyBuckets', 's3:GetBucketLocation', 's3:GetBucketVersioning',
  's3:GetObjectAcl', 's3:GetBucketAcl', 's3:GetObjectTagging', 's3:GetObjectAttributes', 's3:GetBucketPolicy',
  's3:GetBucketPolicyStatus', 's3:ListBucketMultipartUploads', 's3:ListMultipartUploadParts', 's3:GetBucketCORS',
  's3:ListBucketVersions', 's3:GetBucketTagging', 's3:GetLifecycleConfiguration',
]);

export function parseKeyRestriction(json: string | null): KeyRestriction | null {
  if (json === null) return null;
  const r = JSON.parse(json) as Partial<KeyRestriction>;
  return { readOnly: r.readOnly === true, scopes: Array.isArray(r.scopes) ? r.scopes : null };
}

/** Parses the CLI/API form: "bucket" or "bucket/prefix" entries. */
export function scopesFrom(entries: string[]): Array<{ bucket: string; prefix?: string }> {
  return entries.map((e) => {
    const i = e.indexOf('/');
    return i < 0 ? { bucket: e } : { bucket: e.slice(0, i), prefix: e.slice(i + 1) };
  });
}

/** Whether a read-only restriction still allows `action`. */
export function readOnlyAllows(r: KeyRestriction | null, action: string): boolean {
  return !r?.readOnly || READ_ACTIONS.has(action);
}

/**
 * Whether the restriction lets the key perform `action` on (bucket, key). A scope names a bucket of the
 * key's own tenancy (`keyTenancyId`): bucket names are unique only within a tenancy, so `abkt` of another
 * tenancy is a different bucket that no scope of this key names. For ListBucket the prefix scope is
 * checked against the listing prefix (`s3:prefix`), so a prefix-limited key can list its part.
 */
export function restrictionAllows(
  r: KeyRestriction | null,
  action: string,
  bucket: { name: string; tenancyId: string } | undefined,
  keyTenancyId: string,
  key: string | undefined,
  listPrefix?: string,
): boolean {
  if (!r) return true;
  if (!readOnlyAllows(r, action)) return false;
  if (r.scopes === null) return true;
  if (bucket === undefined) return action === 's3:ListAllMyBuckets';
  if (bucket.tenancyId !== keyTenancyId) return false;
  return r.scopes.some((s) => {
    if (s.bucket !== bucket.name) return false;
    if (!s.prefix) return true;
    if (key !== undefined) return key.startsWith(s.prefix);
    if (action === 's3:ListBucket' || action === 's3:ListBucketMultipartUploads') return (listPrefix ?? '').startsWith(s.prefix);
    // Bucket-level actions other than listing need the whole bucket.
    return false;
  });
}
