/**
 * SQLite schema migrations, in order. Each runs once; applied ids are recorded in `schema_migrations`.
 * Never edit a released migration: append a new one.
 *
 * Notes on the schema:
 * - `objects.key` uses the BINARY collation (memcmp of UTF-8), i.e. S3's listing order; the table is
 *   WITHOUT ROWID so the primary key (bucket_id, key) *is* the B-tree a listing range-scans.
 * - Usage counters are columns on `tenancies` and `buckets` (updated in the write's transaction).
 * - `object_blobs` indexes which objects reference which blobs, so isBlobKnown and "is this blob still
 *   referenced?" are index lookups, not scans of objects.parts JSON. Its key is (blob_id, bucket_id, key)
 *   rather than blob_id alone so that two objects may share an immutable blob (e.g. a server-side copy).
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
];
