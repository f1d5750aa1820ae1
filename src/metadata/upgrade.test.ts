/**
 * Upgrading from the previous release (issue 17): a SQLite file and a PostgreSQL schema built by the old
 * migrations (SQLite up to 009, PostgreSQL up to 007), with buckets whose policy, ACL, CORS and landing
 * columns are set, then opened by this release: the configurations moved into the bucket document in place,
 * the old columns are gone, and the rest of the rows are untouched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { newId } from '../lib/ids.js';
import { migrations as sqliteMigrations } from './sqlite/migrations.js';
import { openSqliteMetadataStore } from './sqlite/sqlite-store.js';
import { migrations as postgresMigrations, quoteIdent } from './postgres/migrations.js';
import { openPostgresMetadataStore } from './postgres/postgres-store.js';
import type { BucketRecord, MetadataStore } from './store.js';

/** The previous release's last migration per dialect. */
const SQLITE_PREVIOUS = 9;
const POSTGRES_PREVIOUS = 7;

// A policy as a client may send it: whitespace, escapes, unicode, kept byte for byte.
const POLICY = '{ "Version": "2012-10-17",\n  "Statement": [{"Sid": "\u00e9 \\"x\\"", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::full/*"}] }\n';
const ACL = '{"owner":"u1","grants":[{"grantee":{"type":"Group","uri":"http://acs.amazonaws.com/groups/global/AllUsers"},"permission":"READ"}]}';
const CORS = '[{"allowedOrigins":["https://example.com"],"allowedMethods":["GET","PUT"]}]';
const LANDING = '{"enabled":true,"title":"Fotos ☃"}';

/** The buckets the old release holds: [id, name, policy, acl, cors, landing, quota bytes]. */
const OLD_BUCKETS: Array<[string, string, string | null, string | null, string | null, string | null, number | null]> = [
  ['b-full', 'full', POLICY, ACL, CORS, LANDING, 1000],
  ['b-policy', 'policy-only', POLICY, null, null, null, null],
  ['b-none', 'none', null, null, null, null, null],
];

function expected(id: string): BucketRecord {
  const [, name, policy, acl, cors, landing, quotaBytes] = OLD_BUCKETS.find((b) => b[0] === id)!;
  return { id, tenancyId: 't1', name, ownerId: 'u1', region: 'us-east-1', createdAt: 2, policy, acl, cors, landing, logging: null, versioning: null, quotaBytes, quotaObjects: null };
}

/** What must hold of an upgraded store, whatever the dialect. */
async function checkUpgraded(store: MetadataStore): Promise<void> {
  assert.deepEqual(await store.listBuckets('t1'), ['b-full', 'b-none', 'b-policy'].map(expected));
  assert.deepEqual(await store.getBucket('t1', 'full'), expected('b-full'));
  assert.deepEqual(await store.getBucketUsage('b-full'), { bytes: 3, objects: 1 });
  assert.equal((await store.getObject('b-full', 'k'))?.size, 3);
  // One kind changes; the others stay as they were.
  assert.equal(await store.setBucketConfiguration('b-full', 'cors', null), true);
  assert.equal(await store.setBucketConfiguration('b-none', 'landing', LANDING), true);
  assert.deepEqual(await store.getBucketById('b-full'), { ...expected('b-full'), cors: null });
  assert.deepEqual(await store.getBucketById('b-none'), { ...expected('b-none'), landing: LANDING });
}

describe('upgrade from the previous release: SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'granary-upgrade-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`a database made by migrations up to ${SQLITE_PREVIOUS} opens with its bucket configurations in the document`, async () => {
    const path = join(dir, 'metadata.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of sqliteMigrations.filter((m) => m.id <= SQLITE_PREVIOUS)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.id, m.name);
    }
    db.prepare(`INSERT INTO tenancies (id, name, created_at, used_bytes, used_objects) VALUES ('t1', 'old', 1, 3, 1)`).run();
    const ins = db.prepare(`INSERT INTO buckets (id, tenancy_id, name, owner_id, region, created_at, used_bytes, used_objects,
      policy, acl, cors, landing, quota_bytes) VALUES (?, 't1', ?, 'u1', 'us-east-1', 2, ?, ?, ?, ?, ?, ?, ?)`);
    for (const [id, name, policy, acl, cors, landing, quota] of OLD_BUCKETS) {
      ins.run(id, name, id === 'b-full' ? 3 : 0, id === 'b-full' ? 1 : 0, policy, acl, cors, landing, quota);
    }
    db.prepare(`INSERT INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts,
      checksum, tagging, owner_id, storage_class) VALUES ('b-full', 'k', 3, '"e"', 3, 'x', '{}', X'616263', '[]', NULL, NULL, 'u1', 'STANDARD')`).run();
    db.close();

    const store = await openSqliteMetadataStore(path);
    try {
      await checkUpgraded(store);
    } finally {
      await store.close();
    }
    const after = new Database(path, { readonly: true });
    try {
      const columns = (after.prepare('PRAGMA table_info(buckets)').all() as Array<{ name: string }>).map((c) => c.name);
      for (const gone of ['policy', 'acl', 'cors', 'landing']) assert.ok(!columns.includes(gone), `column ${gone} dropped`);
      const doc = JSON.parse((after.prepare(`SELECT configuration FROM buckets WHERE id = 'b-policy'`).get() as { configuration: string }).configuration);
      assert.deepEqual(doc, { v: 1, policy: POLICY });
    } finally {
      after.close();
    }
  });
});

describe('upgrade from the previous release: PostgreSQL', () => {
  let server: TestPostgres | undefined;
  let admin: pg.Pool | undefined;
  const schema = `up_${newId().slice(0, 16)}`;
  before(async () => {
    server = await startPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 1 });
  });
  after(async () => {
    await admin?.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => {});
    await admin?.end();
    await server?.stop();
  });

  it(`a schema made by migrations up to ${POSTGRES_PREVIOUS} opens with its bucket configurations in the document`, async () => {
    const c = await admin!.connect();
    try {
      await c.query('BEGIN');
      await c.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
      await c.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
      await c.query('CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      for (const m of postgresMigrations.filter((m) => m.id <= POSTGRES_PREVIOUS)) {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.id, m.name]);
      }
      await c.query(`INSERT INTO tenancies (id, name, created_at, used_bytes, used_objects) VALUES ('t1', 'old', 1, 3, 1)`);
      for (const [id, name, policy, acl, cors, landing, quota] of OLD_BUCKETS) {
        await c.query(
          `INSERT INTO buckets (id, tenancy_id, name, owner_id, region, created_at, used_bytes, used_objects, policy, acl, cors, landing, quota_bytes)
           VALUES ($1, 't1', $2, 'u1', 'us-east-1', 2, $3, $4, $5, $6, $7, $8, $9)`,
          [id, name, id === 'b-full' ? 3 : 0, id === 'b-full' ? 1 : 0, policy, acl, cors, landing, quota],
        );
      }
      await c.query(`INSERT INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts,
        checksum, tagging, owner_id, storage_class) VALUES ('b-full', 'k', 3, '"e"', 3, 'x', '{}', '\\x616263', '[]', NULL, NULL, 'u1', 'STANDARD')`);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }

    const store = await openPostgresMetadataStore(server!.url, { schema, poolSize: 2 });
    try {
      await checkUpgraded(store);
    } finally {
      await store.close();
    }
    const columns = (await admin!.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'buckets'`, [schema])).rows.map((r) => r.column_name as string);
    for (const gone of ['policy', 'acl', 'cors', 'landing']) assert.ok(!columns.includes(gone), `column ${gone} dropped`);
    const doc = (await admin!.query(`SELECT configuration FROM ${quoteIdent(schema)}.buckets WHERE id = 'b-policy'`)).rows[0]!.configuration;
    assert.deepEqual(doc, { v: 1, policy: POLICY });
  });
});
