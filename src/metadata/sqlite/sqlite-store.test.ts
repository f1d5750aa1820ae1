/**
 * SqliteMetadataStore: the shared contract against ':memory:' and against a file database (each store
 * closed and reopened before use, so migrations-on-reopen and persistence are exercised), plus
 * SQLite-specific checks (migrations idempotent, PRAGMAs, durability across close/reopen).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newId } from '../../lib/ids.js';
import { metadataStoreContract } from '../contract.js';
import { migrations } from './migrations.js';
import { openSqliteMetadataStore, runMigrations } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'granary-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tempPath = () => join(dir, `${newId()}.db`);

metadataStoreContract('sqlite :memory:', () => openSqliteMetadataStore(':memory:'));
metadataStoreContract('sqlite file (reopened)', async () => {
  const path = tempPath();
  await (await openSqliteMetadataStore(path)).close();
  return openSqliteMetadataStore(path);
});

describe('SqliteMetadataStore specifics', () => {
  it('records migrations once; reopening applies nothing new', async () => {
    const path = tempPath();
    await (await openSqliteMetadataStore(path)).close();
    await (await openSqliteMetadataStore(path)).close();
    const db = new Database(path);
    try {
      const rows = db.prepare('SELECT id, name FROM schema_migrations ORDER BY id').all();
      assert.deepEqual(rows, migrations.map((m) => ({ id: m.id, name: m.name })));
      assert.deepEqual(runMigrations(db), []);
    } finally {
      db.close();
    }
  });

  it('uses WAL, synchronous=FULL and foreign keys', async () => {
    const path = tempPath();
    const store = await openSqliteMetadataStore(path);
    // Peek through a second connection for the persistent setting; per-connection ones via the store's own db.
    const db = (store as unknown as { db: Database.Database }).db;
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    await store.close();
  });

  it('keeps acknowledged writes, usage, queue and touches across close and reopen', async () => {
    const path = tempPath();
    let store = await openSqliteMetadataStore(path);
    const t = await store.createTenancy({ name: 't' });
    const u = await store.createUser({ username: 'u', passwordHash: 'h' });
    await store.createAccessKey({ accessKeyId: 'AK', userId: u.id, tenancyId: t.id, name: 'k', secretEncrypted: 's', expiresAt: null, restriction: null });
    const made = await store.createBucket({ tenancyId: t.id, name: 'b', ownerId: u.id, region: 'r' });
    assert.ok(made.created);
    const bucketId = made.bucket.id;
    const puts = Array.from({ length: 300 }, (_, i) => store.putObject({
      bucketId, key: `k${i}`, size: 10, etag: `"${i}"`, contentType: 'x', headers: {}, inline: null,
      parts: [{ blobId: `blob-${i}`, size: 10 }], checksum: null, tagging: null, ownerId: u.id, storageClass: 'STANDARD',
    }));
    assert.ok((await Promise.all(puts)).every((r) => r.ok));
    await store.deleteObject(bucketId, 'k0');
    await store.touchAccessKey('AK', 12345); // coalesced in memory: close must flush it
    await store.close();

    store = await openSqliteMetadataStore(path);
    try {
      assert.equal((await store.scanObjects(bucketId, { prefix: 'k', start: '', limit: 1000 })).length, 299);
      assert.deepEqual(await store.getBucketUsage(bucketId), { bytes: 2990, objects: 299 });
      assert.deepEqual(await store.takeBlobDeletions(Date.now(), 10), ['blob-0']);
      assert.equal((await store.getAccessKey('AK'))?.lastUsedAt, 12345);
    } finally {
      await store.close();
    }
  });

  it('rejects writes after close', async () => {
    const store = await openSqliteMetadataStore(':memory:');
    await store.close();
    await assert.rejects(store.deleteObject('b', 'k'));
  });

  it('answers prefix scans with an index range, not a table scan', async () => {
    const store = await openSqliteMetadataStore(':memory:');
    const db = (store as unknown as { db: Database.Database }).db;
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT key FROM objects WHERE bucket_id = ? AND key >= ? AND key > ?
      AND key < ? ORDER BY key LIMIT ?`).all('b', 'a', '', 'b', 10) as { detail: string }[];
    assert.ok(plan.some((r) => /SEARCH objects USING PRIMARY KEY \(bucket_id=\? AND key>\? AND key<\?\)/.test(r.detail)), JSON.stringify(plan));
    assert.ok(!plan.some((r) => /TEMP B-TREE/.test(r.detail)));
    await store.close();
  });
});
