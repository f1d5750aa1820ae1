/**
 * SQLite schema migrations, in order. Each runs once; applied ids are recorded in `schema_migrations`.
 * Never edit a released migration: append a new one.
 *
 * Notes on the schema:
 * - `objects.key` uses the BINARY collation (memcmp of UTF-8), i.e. S3's listing order. Until 006 the table
 *   was WITHOUT ROWID (the primary key *was* the B-tree a listing range-scans); since 006 it is a rowid
 *   table and listings range-scan the covering index `objects_listing` (see 006 for why).
 * - Usage counters are columns on `tenancies` and `buckets` (updated in the write's transaction).
 * - `object_blobs` indexes which objects reference which blobs, so isBlobKnown and "is this blob still
 *   referenced?" are index lookups, not scans of objects.parts JSON. Its key is (blob_id, bucket_id, key)
 *   rather than blob_id alone so that two objects may share an immutable blob (e.g. a server-side copy).
 * - 002: quota columns are NULL for "unlimited"; quota_reservations holds in-flight writers' room (see
 *   SqliteMetadataStore.reserveQuota); join_requests and audit_log order "newest first" by an
 *   AUTOINCREMENT sequence, not by the millisecond clock.
 */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    id: 1,
    name: '001_init',
    sql: `
CREATE TABLE settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE tenancies (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  used_bytes   INTEGER NOT NULL DEFAULT 0,
  used_objects INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  email         TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  is_site_admin INTEGER NOT NULL,
  created_at    INTEGER NOT NULL
);

CREATE TABLE memberships (
  tenancy_id TEXT NOT NULL REFERENCES tenancies(id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('USER', 'DEPUTY', 'MANAGER')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (tenancy_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE access_keys (
  access_key_id    TEXT PRIMARY KEY,
  user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  tenancy_id       TEXT NOT NULL REFERENCES tenancies(id) ON DELETE CASCADE,
  name             TEXT NOT NULL,
  secret_encrypted TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER,
  last_used_at     INTEGER,
  restriction      TEXT
);
CREATE INDEX access_keys_by_user ON access_keys (user_id, created_at);

CREATE TABLE buckets (
  id           TEXT PRIMARY KEY,
  tenancy_id   TEXT NOT NULL REFERENCES tenancies(id),
  name         TEXT NOT NULL,
  owner_id     TEXT NOT NULL,
  region       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  used_bytes   INTEGER NOT NULL DEFAULT 0,
  used_objects INTEGER NOT NULL DEFAULT 0,
  UNIQUE (tenancy_id, name)
);

CREATE TABLE objects (
  bucket_id     TEXT NOT NULL REFERENCES buckets(id),
  key           TEXT NOT NULL COLLATE BINARY,
  size          INTEGER NOT NULL,
  etag          TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  content_type  TEXT NOT NULL,
  headers       TEXT NOT NULL,
  inline        BLOB,
  parts         TEXT NOT NULL,
  checksum      TEXT,
  tagging       TEXT,
  owner_id      TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  PRIMARY KEY (bucket_id, key)
) WITHOUT ROWID;

CREATE TABLE object_blobs (
  blob_id   TEXT NOT NULL,
  bucket_id TEXT NOT NULL,
  key       TEXT NOT NULL COLLATE BINARY,
  PRIMARY KEY (blob_id, bucket_id, key)
) WITHOUT ROWID;

CREATE TABLE multipart_uploads (
  upload_id          TEXT PRIMARY KEY,
  bucket_id          TEXT NOT NULL REFERENCES buckets(id),
  key                TEXT NOT NULL COLLATE BINARY,
  initiated_at       INTEGER NOT NULL,
  owner_id           TEXT NOT NULL,
  content_type       TEXT NOT NULL,
  headers            TEXT NOT NULL,
  tagging            TEXT,
  storage_class      TEXT NOT NULL,
  checksum_algorithm TEXT,
  checksum_type      TEXT
);
CREATE INDEX multipart_uploads_by_key ON multipart_uploads (bucket_id, key, initiated_at, upload_id);

CREATE TABLE upload_parts (
  upload_id     TEXT NOT NULL REFERENCES multipart_uploads(upload_id) ON DELETE CASCADE,
  part_number   INTEGER NOT NULL,
  blob_id       TEXT NOT NULL,
  size          INTEGER NOT NULL,
  etag          TEXT NOT NULL,
  checksum      TEXT,
  last_modified INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE INDEX upload_parts_by_blob ON upload_parts (blob_id);

CREATE TABLE blob_deletions (
  blob_id   TEXT PRIMARY KEY,
  queued_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blob_deletions_by_time ON blob_deletions (queued_at);
`,
  },
  {
    id: 2,
    name: '002_tenancy_quota_acl',
    // Tenancy settings and quotas, bucket policy/ACL/quota, object and upload ACLs, groups, join requests,
    // the audit trail and quota reservations. ADD COLUMN with a constant default fills existing rows.
    sql: `
ALTER TABLE tenancies ADD COLUMN default_access TEXT NOT NULL DEFAULT 'owner'
  CHECK (default_access IN ('owner', 'members'));
ALTER TABLE tenancies ADD COLUMN quota_bytes INTEGER;
ALTER TABLE tenancies ADD COLUMN quota_objects INTEGER;
ALTER TABLE tenancies ADD COLUMN quota_action TEXT NOT NULL DEFAULT 'read-delete'
  CHECK (quota_action IN ('read-delete', 'read-only', 'notify', 'lockout'));

ALTER TABLE buckets ADD COLUMN policy TEXT;
ALTER TABLE buckets ADD COLUMN acl TEXT;
ALTER TABLE buckets ADD COLUMN quota_bytes INTEGER;
ALTER TABLE buckets ADD COLUMN quota_objects INTEGER;

ALTER TABLE objects ADD COLUMN acl TEXT;
ALTER TABLE multipart_uploads ADD COLUMN acl TEXT;

CREATE TABLE groups (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE COLLATE BINARY,
  source     TEXT NOT NULL CHECK (source IN ('local', 'ldap')),
  created_at INTEGER NOT NULL
);

CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (user_id);

-- A rowid table: the rowid is the insertion order, so "newest first" does not depend on the clock.
CREATE TABLE join_requests (
  id         TEXT NOT NULL UNIQUE,
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  tenancy_id TEXT NOT NULL REFERENCES tenancies(id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  message    TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  created_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  role       TEXT CHECK (role IN ('USER', 'DEPUTY', 'MANAGER'))
);
CREATE INDEX join_requests_by_tenancy ON join_requests (tenancy_id, seq);
CREATE INDEX join_requests_by_user ON join_requests (user_id, seq);

-- No foreign keys: the trail outlives the tenancies and users it mentions.
CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  at         INTEGER NOT NULL,
  actor_id   TEXT,
  tenancy_id TEXT,
  action     TEXT NOT NULL,
  target     TEXT NOT NULL,
  details    TEXT NOT NULL CHECK (json_valid(details))
);
CREATE INDEX audit_log_by_tenancy ON audit_log (tenancy_id, seq);

-- Room taken by in-flight writes (epoch ms expiry); counted against quotas until released or expired.
CREATE TABLE quota_reservations (
  id         TEXT PRIMARY KEY,
  tenancy_id TEXT NOT NULL REFERENCES tenancies(id) ON DELETE CASCADE,
  bucket_id  TEXT NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
  bytes      INTEGER NOT NULL,
  objects    INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX quota_reservations_by_tenancy ON quota_reservations (tenancy_id, expires_at);
CREATE INDEX quota_reservations_by_bucket ON quota_reservations (bucket_id, expires_at);
`,
  },
  {
    id: 3,
    name: '003_bucket_cors',
    // The bucket's CORS rules (normalised JSON, see s3/cors.ts); NULL = no CORS configuration.
    sql: `ALTER TABLE buckets ADD COLUMN cors TEXT;`,
  },
  {
    id: 4,
    name: '004_usage_samples_and_sessions',
    // Usage history for the portal's chart, and portal sessions shared by every gateway (keyed by the
    // SHA-256 of the session id; the raw id is only in the browser's cookie).
    sql: `
CREATE TABLE usage_samples (
  tenancy_id TEXT NOT NULL REFERENCES tenancies(id) ON DELETE CASCADE,
  at         INTEGER NOT NULL,
  bytes      INTEGER NOT NULL,
  objects    INTEGER NOT NULL,
  PRIMARY KEY (tenancy_id, at)
) WITHOUT ROWID;

CREATE TABLE sessions (
  id_hash        TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token     TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  last_seen      INTEGER NOT NULL,
  elevated_until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen);
`,
  },
  {
    id: 5,
    name: '005_objects_inline_last',
    // Small objects' bytes (up to 64 KiB) sat in the middle of each row, so reading any later column
    // (parts, owner, storage class) of a listed row walked the blob's overflow pages. The same table with
    // the bytes as the last column: listings and HEADs read only the row's head.
    sql: `
CREATE TABLE objects_v5 (
  bucket_id     TEXT NOT NULL REFERENCES buckets(id),
  key           TEXT NOT NULL COLLATE BINARY,
  size          INTEGER NOT NULL,
  etag          TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  content_type  TEXT NOT NULL,
  headers       TEXT NOT NULL,
  parts         TEXT NOT NULL,
  checksum      TEXT,
  tagging       TEXT,
  owner_id      TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  acl           TEXT,
  inline        BLOB,
  PRIMARY KEY (bucket_id, key)
) WITHOUT ROWID;
INSERT INTO objects_v5 (bucket_id, key, size, etag, last_modified, content_type, headers, parts, checksum, tagging, owner_id, storage_class, acl, inline)
  SELECT bucket_id, key, size, etag, last_modified, content_type, headers, parts, checksum, tagging, owner_id, storage_class, acl, inline FROM objects;
DROP TABLE objects;
ALTER TABLE objects_v5 RENAME TO objects;
`,
  },
  {
    id: 6,
    name: '006_objects_rowid_listing_index',
    // A WITHOUT ROWID table stores rows in an index B-tree, where a row may keep only ~1 KB on its page (of
    // 4 KiB): every small object with inline bytes spilled into overflow pages, and a GET's point read cost
    // ~25 µs, a fifth of the server's time per 4 KiB GET. As a rowid table the same read costs ~12 µs
    // (measured with 20,000 4 KiB objects). Listings keep their single range scan through a covering
    // index of the listed columns (and of size, for usage sums), so they never visit the table rows.
    sql: `
CREATE TABLE objects_v6 (
  bucket_id     TEXT NOT NULL REFERENCES buckets(id),
  key           TEXT NOT NULL COLLATE BINARY,
  size          INTEGER NOT NULL,
  etag          TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  content_type  TEXT NOT NULL,
  headers       TEXT NOT NULL,
  parts         TEXT NOT NULL,
  checksum      TEXT,
  tagging       TEXT,
  owner_id      TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  acl           TEXT,
  inline        BLOB,
  PRIMARY KEY (bucket_id, key)
);
INSERT INTO objects_v6 (bucket_id, key, size, etag, last_modified, content_type, headers, parts, checksum, tagging, owner_id, storage_class, acl, inline)
  SELECT bucket_id, key, size, etag, last_modified, content_type, headers, parts, checksum, tagging, owner_id, storage_class, acl, inline
  FROM objects ORDER BY bucket_id, key;
DROP TABLE objects;
ALTER TABLE objects_v6 RENAME TO objects;
CREATE INDEX objects_listing ON objects (bucket_id, key, size, etag, last_modified, checksum, owner_id, storage_class);
`,
  },
  {
    id: 7,
    name: '007_auth_failures',
    // The password-guessing throttle (iam/password-throttle.ts), shared by every way a password is
    // checked and, through the store, by every gateway: failures per user and per client address.
    sql: `
CREATE TABLE auth_failures (
  key          TEXT PRIMARY KEY,
  failures     INTEGER NOT NULL,
  last_failure INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX auth_failures_by_last_failure ON auth_failures (last_failure);
`,
  },
  {
    id: 8,
    name: '008_upload_credits_completed_uploads',
    // upload_credits: bytes of an in-flight upload's parts counted against the object it will replace rather
    // than against the quota (a re-upload over an object needs room only for what it adds); for each key the
    // credits sum to at most that object's size, and the usage counters are net of them.
    // completed_uploads: which object a completed upload became, so a retried CompleteMultipartUpload of an
    // unchanged object answers as the first did (the object's ETag and Last-Modified identify it).
    sql: `
CREATE TABLE upload_credits (
  upload_id TEXT PRIMARY KEY REFERENCES multipart_uploads(upload_id) ON DELETE CASCADE,
  bucket_id TEXT NOT NULL,
  key       TEXT NOT NULL COLLATE BINARY,
  bytes     INTEGER NOT NULL CHECK (bytes > 0)
) WITHOUT ROWID;
CREATE INDEX upload_credits_by_key ON upload_credits (bucket_id, key);

CREATE TABLE completed_uploads (
  upload_id     TEXT PRIMARY KEY,
  bucket_id     TEXT NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
  key           TEXT NOT NULL COLLATE BINARY,
  etag          TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  completed_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX completed_uploads_by_key ON completed_uploads (bucket_id, key);
CREATE INDEX completed_uploads_by_time ON completed_uploads (completed_at);
`,
  },
  {
    id: 9,
    name: '009_portal_toolkit',
    // Issue 21: tenancies opt in to being listed for join requests; a rejection's reason is shown to the
    // requester; a public bucket's landing page settings (JSON); the notices the mail job has sent, so a
    // notice is never sent twice (also across gateways taking turns).
    sql: `
ALTER TABLE tenancies ADD COLUMN listed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE join_requests ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE buckets ADD COLUMN landing TEXT;
CREATE TABLE sent_notices (
  key     TEXT PRIMARY KEY,
  sent_at INTEGER NOT NULL
) WITHOUT ROWID;
`,
  },
  {
    id: 10,
    name: '010_bucket_configuration',
    // Issue 17: a bucket's configurations are one versioned JSON document (metadata/bucket-configuration.ts),
    // so a new kind needs no migration. The policy, ACL, CORS and landing columns move into it in place (an
    // unset one is left out: json_patch drops null members) and are dropped.
    sql: `
ALTER TABLE buckets ADD COLUMN configuration TEXT NOT NULL DEFAULT '{"v":1}';
UPDATE buckets SET configuration = json_patch('{"v":1}', json_object('policy', policy, 'acl', acl, 'cors', cors, 'landing', landing));
ALTER TABLE buckets DROP COLUMN policy;
ALTER TABLE buckets DROP COLUMN acl;
ALTER TABLE buckets DROP COLUMN cors;
ALTER TABLE buckets DROP COLUMN landing;
`,
  },
  {
    id: 11,
    name: '011_log_records',
    // Issue 22: the spool of server access log records (bucket logging) waiting for delivery.
    sql: `
CREATE TABLE log_records (
  id         TEXT PRIMARY KEY,
  bucket_id  TEXT NOT NULL,
  event_time INTEGER NOT NULL,
  line       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX log_records_by_time ON log_records (event_time);
`,
  },
  {
    id: 12,
    name: '012_object_versions',
    // Issue 19 (docs/architecture.md, "Object versions"): `objects` stays the table of current versions and
    // gains version_id ('null' for everything written so far) and seq (the bucket's write counter, 0 before
    // versioning), placed before the inline bytes as 005 placed every column a HEAD or listing reads;
    // object_versions holds noncurrent versions and delete markers in (key, seq descending) order, the order
    // ListObjectVersions lists in, through a covering index; object_blobs references a blob per version, so a
    // blob stays referenced while any version holds it; buckets.version_seq is the counter seq is taken from.
    sql: `
CREATE TABLE objects_v11 (
  bucket_id     TEXT NOT NULL REFERENCES buckets(id),
  key           TEXT NOT NULL COLLATE BINARY,
  size          INTEGER NOT NULL,
  etag          TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  content_type  TEXT NOT NULL,
  headers       TEXT NOT NULL,
  parts         TEXT NOT NULL,
  checksum      TEXT,
  tagging       TEXT,
  owner_id      TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  acl           TEXT,
  version_id    TEXT NOT NULL DEFAULT 'null',
  seq           INTEGER NOT NULL DEFAULT 0,
  inline        BLOB,
  PRIMARY KEY (bucket_id, key)
);
INSERT INTO objects_v11 (bucket_id, key, size, etag, last_modified, content_type, headers, parts, checksum, tagging, owner_id, storage_class, acl, inline)
  SELECT bucket_id, key, size, etag, last_modified, content_type, headers, parts, checksum, tagging, owner_id, storage_class, acl, inline
  FROM objects ORDER BY bucket_id, key;
DROP TABLE objects;
ALTER TABLE objects_v11 RENAME TO objects;
CREATE INDEX objects_listing ON objects (bucket_id, key, size, etag, last_modified, checksum, owner_id, storage_class);

CREATE TABLE object_versions (
  bucket_id        TEXT NOT NULL REFERENCES buckets(id),
  key              TEXT NOT NULL COLLATE BINARY,
  seq              INTEGER NOT NULL,
  version_id       TEXT NOT NULL,
  is_delete_marker INTEGER NOT NULL DEFAULT 0,
  size             INTEGER NOT NULL,
  etag             TEXT NOT NULL,
  last_modified    INTEGER NOT NULL,
  content_type     TEXT NOT NULL,
  headers          TEXT NOT NULL,
  parts            TEXT NOT NULL,
  checksum         TEXT,
  tagging          TEXT,
  owner_id         TEXT NOT NULL,
  storage_class    TEXT NOT NULL,
  acl              TEXT,
  inline           BLOB,
  UNIQUE (bucket_id, key, version_id)
);
CREATE INDEX object_versions_listing ON object_versions (bucket_id, key, seq DESC, version_id, is_delete_marker, size, etag,
  last_modified, checksum, owner_id, storage_class);

CREATE TABLE object_blobs_v11 (
  blob_id    TEXT NOT NULL,
  bucket_id  TEXT NOT NULL,
  key        TEXT NOT NULL COLLATE BINARY,
  version_id TEXT NOT NULL DEFAULT 'null',
  PRIMARY KEY (blob_id, bucket_id, key, version_id)
) WITHOUT ROWID;
INSERT INTO object_blobs_v11 (blob_id, bucket_id, key) SELECT blob_id, bucket_id, key FROM object_blobs;
DROP TABLE object_blobs;
ALTER TABLE object_blobs_v11 RENAME TO object_blobs;

ALTER TABLE buckets ADD COLUMN version_seq INTEGER NOT NULL DEFAULT 0;
`,
  },
];
