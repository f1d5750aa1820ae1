/**
 * PostgreSQL schema migrations, in order, and the runner that applies them at open.
 * Each runs once; applied ids are recorded in `schema_migrations`. Never edit a released migration:
 * append a new one.
 *
 * Notes on the schema (mirrors sqlite/migrations.ts; differences are deliberate):
 * - Every object key column is `TEXT COLLATE "C"`: in a UTF8 database "C" compares with memcmp, i.e. by
 *   UTF-8 bytes, S3's listing order, and the (bucket_id, key) primary-key B-tree serves prefix range scans.
 *   Other names (tenancies, buckets) use "C" too, so listings order the same way as SQLite's BINARY.
 * - Sizes and epoch-millisecond times are BIGINT (the store parses int8 to a JS number).
 * - headers and parts are JSONB (queryable by operators); checksum is TEXT JSON (opaque, small).
 * - Usage counters are columns on `tenancies` and `buckets`, updated in the write's transaction.
 * - `object_blobs` indexes which objects reference which blobs (same role as in SQLite).
 * - 002: quotas live beside the counters they limit (tenancies, buckets); `quota_reservations` hold the room
 *   of in-flight uploads. `audit_log.details` is JSONB; audit and join requests order by a BIGSERIAL
 *   (insertion order), not by millisecond timestamps that can tie.
 */
import type pg from 'pg';

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
  name  TEXT COLLATE "C" PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE tenancies (
  id           TEXT PRIMARY KEY,
  name         TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  used_bytes   BIGINT NOT NULL DEFAULT 0,
  used_objects BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  username      TEXT COLLATE "C" NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  email         TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  is_site_admin BOOLEAN NOT NULL,
  created_at    BIGINT NOT NULL
);

CREATE TABLE memberships (
  tenancy_id TEXT NOT NULL REFERENCES tenancies(id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role       TEXT NOT NULL CHECK (role IN ('USER', 'DEPUTY', 'MANAGER')),
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenancy_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE access_keys (
  access_key_id    TEXT PRIMARY KEY,
  user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  tenancy_id       TEXT NOT NULL REFERENCES tenancies(id) ON DELETE CASCADE,
  name             TEXT NOT NULL,
  secret_encrypted TEXT NOT NULL,
  created_at       BIGINT NOT NULL,
  expires_at       BIGINT,
  last_used_at     BIGINT,
  restriction      TEXT
);
CREATE INDEX access_keys_by_user ON access_keys (user_id, created_at);

CREATE TABLE buckets (
  id           TEXT PRIMARY KEY,
  tenancy_id   TEXT NOT NULL REFERENCES tenancies(id),
  name         TEXT COLLATE "C" NOT NULL,
  owner_id     TEXT NOT NULL,
  region       TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  used_bytes   BIGINT NOT NULL DEFAULT 0,
  used_objects BIGINT NOT NULL DEFAULT 0,
  UNIQUE (tenancy_id, name)
);

CREATE TABLE objects (
  bucket_id     TEXT NOT NULL REFERENCES buckets(id),
  key           TEXT COLLATE "C" NOT NULL,
  size          BIGINT NOT NULL,
  etag          TEXT NOT NULL,
  last_modified BIGINT NOT NULL,
  content_type  TEXT NOT NULL,
  headers       JSONB NOT NULL,
  inline        BYTEA,
  parts         JSONB NOT NULL,
  checksum      TEXT,
  tagging       TEXT,
  owner_id      TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  PRIMARY KEY (bucket_id, key)
);

CREATE TABLE object_blobs (
  blob_id   TEXT NOT NULL,
  bucket_id TEXT NOT NULL,
  key       TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (blob_id, bucket_id, key)
);
-- Releasing a replaced/deleted object's references is by (bucket_id, key).
CREATE INDEX object_blobs_by_object ON object_blobs (bucket_id, key);

CREATE TABLE multipart_uploads (
  upload_id          TEXT PRIMARY KEY,
  bucket_id          TEXT NOT NULL REFERENCES buckets(id),
  key                TEXT COLLATE "C" NOT NULL,
  initiated_at       BIGINT NOT NULL,
  owner_id           TEXT NOT NULL,
  content_type       TEXT NOT NULL,
  headers            JSONB NOT NULL,
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
  size          BIGINT NOT NULL,
  etag          TEXT NOT NULL,
  checksum      TEXT,
  last_modified BIGINT NOT NULL,
  PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX upload_parts_by_blob ON upload_parts (blob_id);

CREATE TABLE blob_deletions (
  blob_id   TEXT PRIMARY KEY,
  queued_at BIGINT NOT NULL
);
CREATE INDEX blob_deletions_by_time ON blob_deletions (queued_at, blob_id);
`,
  },
  {
    id: 2,
    name: '002_tenancy_quota_acl',
    sql: `
ALTER TABLE tenancies
  ADD COLUMN default_access TEXT NOT NULL DEFAULT 'owner' CHECK (default_access IN ('owner', 'members')),
  ADD COLUMN quota_bytes    BIGINT,
  ADD COLUMN quota_objects  BIGINT,
  ADD COLUMN quota_action   TEXT NOT NULL DEFAULT 'read-delete'
    CHECK (quota_action IN ('read-delete', 'read-only', 'notify', 'lockout'));

ALTER TABLE buckets
  ADD COLUMN policy        TEXT,
  ADD COLUMN acl           TEXT,
  ADD COLUMN quota_bytes   BIGINT,
  ADD COLUMN quota_objects BIGINT;

ALTER TABLE objects ADD COLUMN acl TEXT;
ALTER TABLE multipart_uploads ADD COLUMN acl TEXT;

CREATE TABLE groups (
  id         TEXT PRIMARY KEY,
  name       TEXT COLLATE "C" NOT NULL UNIQUE,
  source     TEXT NOT NULL CHECK (source IN ('local', 'ldap')),
  created_at BIGINT NOT NULL
);

CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);

CREATE TABLE join_requests (
  id          TEXT PRIMARY KEY,
  tenancy_id  TEXT NOT NULL REFERENCES tenancies(id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  message     TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  created_at  BIGINT NOT NULL,
  decided_at  BIGINT,
  decided_by  TEXT,
  role        TEXT CHECK (role IN ('USER', 'DEPUTY', 'MANAGER')),
  -- insertion order: "newest first" must not depend on two requests falling in different milliseconds
  seq         BIGSERIAL NOT NULL
);
CREATE INDEX join_requests_by_tenancy ON join_requests (tenancy_id, seq);
CREATE INDEX join_requests_by_user ON join_requests (user_id, seq);

-- No foreign keys: the trail outlives the tenancies and users it mentions.
CREATE TABLE audit_log (
  seq        BIGSERIAL PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  at         BIGINT NOT NULL,
  actor_id   TEXT,
  tenancy_id TEXT,
  action     TEXT NOT NULL,
  target     TEXT NOT NULL,
  details    JSONB NOT NULL
);
CREATE INDEX audit_log_by_tenancy ON audit_log (tenancy_id, seq);

-- Room taken by in-flight writes; expires_at is PostgreSQL's clock (ms), the same for every gateway.
CREATE TABLE quota_reservations (
  id         TEXT PRIMARY KEY,
  tenancy_id TEXT NOT NULL REFERENCES tenancies(id) ON DELETE CASCADE,
  bucket_id  TEXT NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
  bytes      BIGINT NOT NULL,
  objects    BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
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
  at         BIGINT NOT NULL,
  bytes      BIGINT NOT NULL,
  objects    BIGINT NOT NULL,
  PRIMARY KEY (tenancy_id, at)
);

CREATE TABLE sessions (
  id_hash        TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token     TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  last_seen      BIGINT NOT NULL,
  elevated_until BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen);
`,
  },
  {
    id: 5,
    name: '005_auth_failures',
    // The password-guessing throttle (iam/password-throttle.ts), shared by every way a password is
    // checked and by every gateway: failures per user and per client address.
    sql: `
CREATE TABLE auth_failures (
  key          TEXT COLLATE "C" PRIMARY KEY,
  failures     INTEGER NOT NULL,
  last_failure BIGINT NOT NULL
);
CREATE INDEX auth_failures_by_last_failure ON auth_failures (last_failure);
`,
  },
  {
    id: 6,
    name: '006_upload_credits_completed_uploads',
    // As SQLite's 008: upload_credits (an in-flight upload's bytes counted against the object it will
    // replace; per key they sum to at most that object's size) and completed_uploads (what a retried
    // CompleteMultipartUpload answers while the object is unchanged).
    sql: `
CREATE TABLE upload_credits (
  upload_id TEXT PRIMARY KEY REFERENCES multipart_uploads(upload_id) ON DELETE CASCADE,
  bucket_id TEXT NOT NULL,
  key       TEXT COLLATE "C" NOT NULL,
  bytes     BIGINT NOT NULL CHECK (bytes > 0)
);
CREATE INDEX upload_credits_by_key ON upload_credits (bucket_id, key);

CREATE TABLE completed_uploads (
  upload_id     TEXT PRIMARY KEY,
  bucket_id     TEXT NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
  key           TEXT COLLATE "C" NOT NULL,
  etag          TEXT NOT NULL,
  last_modified BIGINT NOT NULL,
  completed_at  BIGINT NOT NULL
);
CREATE INDEX completed_uploads_by_key ON completed_uploads (bucket_id, key);
CREATE INDEX completed_uploads_by_time ON completed_uploads (completed_at);
`,
  },
  {
    id: 7,
    name: '007_portal_toolkit',
    // Issue 21: tenancies opt in to being listed for join requests; a rejection's reason is shown to the
    // requester; a public bucket's landing page settings (JSON text); the notices the mail job has sent,
    // so a notice is never sent twice (also across gateways taking turns).
    sql: `
ALTER TABLE tenancies ADD COLUMN listed BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE join_requests ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE buckets ADD COLUMN landing TEXT;
CREATE TABLE sent_notices (
  key     TEXT COLLATE "C" PRIMARY KEY,
  sent_at BIGINT NOT NULL
);
`,
  },
  {
    id: 8,
    name: '008_bucket_configuration',
    // Issue 17: a bucket's configurations are one versioned JSONB document (metadata/bucket-configuration.ts),
    // so a new kind needs no migration. The policy, ACL, CORS and landing columns move into it in place (an
    // unset one is left out) and are dropped. Values stay JSON strings: the stored text, byte for byte.
    sql: `
ALTER TABLE buckets ADD COLUMN configuration JSONB NOT NULL DEFAULT '{"v":1}';
UPDATE buckets SET configuration = jsonb_strip_nulls(jsonb_build_object('v', 1, 'policy', policy, 'acl', acl, 'cors', cors, 'landing', landing));
ALTER TABLE buckets DROP COLUMN policy, DROP COLUMN acl, DROP COLUMN cors, DROP COLUMN landing;
`,
  },
  {
    id: 9,
    name: '009_log_records',
    // Issue 22: the spool of server access log records (bucket logging) waiting for delivery.
    sql: `
CREATE TABLE log_records (
  id         TEXT COLLATE "C" PRIMARY KEY,
  bucket_id  TEXT NOT NULL,
  event_time BIGINT NOT NULL,
  line       TEXT NOT NULL
);
CREATE INDEX log_records_by_time ON log_records (event_time);
`,
  },
  {
    id: 10,
    name: '010_object_versions',
    // Issue 19 (docs/architecture.md, "Object versions"): as SQLite 012. A constant DEFAULT adds the columns
    // without rewriting the tables; the listing index of object_versions is (key, seq descending).
    sql: `
ALTER TABLE objects ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null', ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE buckets ADD COLUMN version_seq BIGINT NOT NULL DEFAULT 0;
CREATE TABLE object_versions (
  bucket_id        TEXT NOT NULL REFERENCES buckets(id),
  key              TEXT COLLATE "C" NOT NULL,
  seq              BIGINT NOT NULL,
  version_id       TEXT NOT NULL,
  is_delete_marker BOOLEAN NOT NULL DEFAULT false,
  size             BIGINT NOT NULL,
  etag             TEXT NOT NULL,
  last_modified    BIGINT NOT NULL,
  content_type     TEXT NOT NULL,
  headers          JSONB NOT NULL,
  inline           BYTEA,
  parts            JSONB NOT NULL,
  checksum         TEXT,
  tagging          TEXT,
  owner_id         TEXT NOT NULL,
  storage_class    TEXT NOT NULL,
  acl              TEXT,
  UNIQUE (bucket_id, key, version_id)
);
CREATE INDEX object_versions_listing ON object_versions (bucket_id, key, seq DESC);
ALTER TABLE object_blobs ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null';
ALTER TABLE object_blobs DROP CONSTRAINT object_blobs_pkey;
ALTER TABLE object_blobs ADD PRIMARY KEY (blob_id, bucket_id, key, version_id);
DROP INDEX object_blobs_by_object;
CREATE INDEX object_blobs_by_object ON object_blobs (bucket_id, key, version_id);
`,
  },
];

/** Quotes an SQL identifier (schema names come from configuration). */
export function quoteIdent(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/**
 * Applies pending migrations in ONE transaction holding a transaction-scoped advisory lock, so several
 * gateways starting at once serialise here: the first applies, the others then find nothing to do.
 * The schema itself and `schema_migrations` are created under the lock too, because concurrent
 * `CREATE … IF NOT EXISTS` statements can still collide on PostgreSQL's catalog unique indexes.
 * Returns the ids applied by this call.
 */
export async function runMigrations(client: pg.ClientBase, schema: string): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`granary.migrations.${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    // Everything below lands in `schema` whatever the connection's search_path was.
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const done = new Set((await client.query<{ id: number }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
      if (done.has(m.id)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [m.id, m.name, Date.now()]);
      applied.push(m.id);
    }
    await client.query('COMMIT');
    return applied;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
