/**
 * A bucket's configurations (policy, ACL, CORS, landing page, and those the coming issues add) are one typed,
 * versioned document stored with the bucket row (`buckets.configuration`: JSON text on SQLite, JSONB on
 * PostgreSQL), read with the bucket and written by one store method, `setBucketConfiguration(id, kind, value)`.
 * Like Garage's bucket table, where CORS, lifecycle, website and quotas are fields of one stored value.
 *
 * Adding a kind = one field in `BucketConfigurations` and one codec in `BUCKET_CONFIGURATIONS` below: no
 * migration, no store method, no row mapping; `BucketRecord` gains the field (null when unset) by itself.
 *
 * The document is `{"v": 1, "<kind>": <value>, …}`; an unset kind is absent. A write sets or removes ONE
 * kind in place (`json_set`/`json_remove`, `jsonb_set`/`-`), so two writers of different kinds never undo
 * each other, and a gateway of an older release (a rolling upgrade) keeps kinds it does not know yet.
 * `v` is the document's format: a later reshape of a kind's value bumps it and decodes the old form.
 */

/** The stored value of each configuration kind. Issues 19/20 add versioning, lifecycle, objectLock, … here. */
export interface BucketConfigurations {
  /** Bucket policy as stored (the JSON text the client sent). */
  policy: string;
  /** Bucket ACL as JSON (see iam/acl.ts); absent = the canned private ACL. */
  acl: string;
  /** Bucket CORS configuration as stored (the normalised JSON of s3/cors). */
  cors: string;
  /** The public landing page's settings as stored (JSON, see s3/landing-page.ts). */
  landing: string;
  /** Server access logging (PutBucketLogging) as stored (JSON, see core/bucket-logging.ts). */
  logging: string;
  /** Versioning (issue 19): absent until first enabled, then Enabled or Suspended, never absent again. */
  versioning: 'Enabled' | 'Suspended';
}
export type BucketConfigurationKind = keyof BucketConfigurations;
/** How a BucketRecord shows the configurations: every kind, null when unset. */
export type BucketConfigurationFields = { [K in BucketConfigurationKind]: BucketConfigurations[K] | null };

/** The document format this release writes (and the newest it reads). */
export const BUCKET_CONFIGURATION_FORMAT = 1;
/** An empty document, as new buckets (and the migration's DEFAULT) start. */
export const EMPTY_BUCKET_CONFIGURATION = `{"v":${BUCKET_CONFIGURATION_FORMAT}}`;

/** Checks a kind's stored JSON value and gives it back typed (a stored value of the wrong shape is a bug). */
type Codec<T> = (stored: unknown, kind: string) => T;

const text: Codec<string> = (v, kind) => {
  if (typeof v !== 'string') throw new Error(`bucket configuration ${kind}: stored value is not a string`);
  return v;
};

const versioningState: Codec<'Enabled' | 'Suspended'> = (v, kind) => {
  if (v !== 'Enabled' && v !== 'Suspended') throw new Error(`bucket configuration ${kind}: stored value is not Enabled or Suspended`);
  return v;
};

/** The registry: a kind missing here (or a codec of the wrong type) fails to compile. */
const BUCKET_CONFIGURATIONS: { readonly [K in BucketConfigurationKind]: Codec<BucketConfigurations[K]> } = {
  policy: text,
  acl: text,
  cors: text,
  landing: text,
  logging: text,
  versioning: versioningState,
};
const KINDS = Object.keys(BUCKET_CONFIGURATIONS) as BucketConfigurationKind[];

export function isBucketConfigurationKind(kind: string): kind is BucketConfigurationKind {
  return Object.hasOwn(BUCKET_CONFIGURATIONS, kind);
}

/**
 * The JSON path of a kind inside the document (SQLite `json_set` path; PostgreSQL takes the bare kind).
 * Refuses a name outside the registry, so no caller-made string reaches SQL.
 */
export function configurationPath(kind: string): string {
  if (!isBucketConfigurationKind(kind)) throw new Error(`unknown bucket configuration kind: ${kind}`);
  return `$.${kind}`;
}

/** The JSON text of a kind's value, as the stores bind it. */
export function encodeConfiguration<K extends BucketConfigurationKind>(kind: K, value: BucketConfigurations[K]): string {
  configurationPath(kind);
  return JSON.stringify(value);
}

/** Every kind of a stored document (JSON text from SQLite, an object from PostgreSQL's JSONB), null when unset. */
export function decodeConfiguration(stored: unknown): BucketConfigurationFields {
  const doc = (typeof stored === 'string' ? JSON.parse(stored) : stored ?? {}) as Record<string, unknown>;
  const format = doc.v ?? BUCKET_CONFIGURATION_FORMAT;
  if (format !== BUCKET_CONFIGURATION_FORMAT) throw new Error(`bucket configuration format ${String(format)} is newer than this release reads (${BUCKET_CONFIGURATION_FORMAT})`);
  const out = {} as Record<BucketConfigurationKind, unknown>;
  for (const kind of KINDS) {
    const v = doc[kind];
    out[kind] = v === undefined || v === null ? null : BUCKET_CONFIGURATIONS[kind](v, kind);
  }
  return out as BucketConfigurationFields;
}
