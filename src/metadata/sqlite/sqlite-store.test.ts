/**
 * SqliteMetadataStore: the shared contract against ':memory:' and against a file database (each store
 * closed and reopened before use, so migrations-on-reopen and persistence are exercised), plus
 * SQLite-specific checks (migrations idempotent, PRAGMAs, durability across close/reopen).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { newId } from '../../lib/ids.js';
import { metadataStoreContract } from '../contract/index.js';
import { migrations } from './migrations.js';
import { openSqliteMetadataStore, runMigrations } from './sqlite-store.js';
import { insertDirectories, pagesRead, starvePageCache } from '../../../test/helpers/sqlite-pages.js';

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

  it('migration 002 upgrades a database made by 001 with the new fields’ defaults', async () => {
    const path = tempPath();
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    db.exec(migrations[0]!.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(migrations[0]!.name);
    db.prepare(`INSERT INTO tenancies (id, name, created_at, used_bytes, used_objects) VALUES ('t1', 'old', 1, 3, 1)`).run();
    db.prepare(`INSERT INTO buckets (id, tenancy_id, name, owner_id, region, created_at, used_bytes, used_objects)
      VALUES ('b1', 't1', 'data', 'u', 'r', 2, 3, 1)`).run();
    db.prepare(`INSERT INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts,
      checksum, tagging, owner_id, storage_class) VALUES ('b1', 'k', 3, '"e"', 3, 'x', '{}', NULL, '[]', NULL, NULL, 'u', 'STANDARD')`).run();
    db.prepare(`INSERT INTO multipart_uploads (upload_id, bucket_id, key, initiated_at, owner_id, content_type, headers,
      tagging, storage_class, checksum_algorithm, checksum_type) VALUES ('up', 'b1', 'm', 4, 'u', 'x', '{}', NULL, 'STANDARD', NULL, NULL)`).run();
    db.close();
    const store = await openSqliteMetadataStore(path);
    try {
      assert.deepEqual(await store.getTenancyById('t1'), {
        id: 't1', name: 'old', createdAt: 1, defaultAccess: 'owner', quotaBytes: null, quotaObjects: null, quotaAction: 'read-delete', listed: false,
      });
      assert.deepEqual(await store.getBucketById('b1'), {
        id: 'b1', tenancyId: 't1', name: 'data', ownerId: 'u', region: 'r', createdAt: 2, policy: null, acl: null, quotaBytes: null, quotaObjects: null, cors: null, landing: null, logging: null, versioning: null,
      });
      assert.equal((await store.getObject('b1', 'k'))?.acl, null);
      assert.equal((await store.getUpload('up'))?.acl, null);
      assert.deepEqual(await store.getTenancyUsage('t1'), { bytes: 3, objects: 1 });
    } finally {
      await store.close();
    }
  });

  it('migration 006 rebuilds objects as a rowid table: every row, byte and order kept', async () => {
    const path = tempPath();
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of migrations.filter((m) => m.id <= 5)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.id, m.name);
    }
    db.prepare(`INSERT INTO tenancies (id, name, created_at, used_bytes, used_objects) VALUES ('t1', 'old', 1, 0, 0)`).run();
    db.prepare(`INSERT INTO buckets (id, tenancy_id, name, owner_id, region, created_at, used_bytes, used_objects)
      VALUES ('b1', 't1', 'data', 'u', 'r', 2, 0, 0)`).run();
    const ins = db.prepare(`INSERT INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts,
      checksum, tagging, owner_id, storage_class, acl) VALUES ('b1', ?, ?, '"e"', 3, 'x', '{"cache-control":"no"}', ?, ?, NULL, 'a=b', 'u', 'STANDARD', NULL)`);
    // inserted out of order, with keys whose UTF-8 byte order differs from UTF-16 order
    const keys = ['z', 'a/b', '\u{1F600}', '\uFFFD', 'a', 'A', 'a b', 'a+b', 'a%2F'];
    const inline = randomBytes(4096);
    keys.forEach((k, i) => ins.run(k, i % 2 ? 4096 : 10, i % 2 ? inline : null, i % 2 ? '[]' : JSON.stringify([{ blobId: newId(), size: 10 }])));
    db.close();
    const store = await openSqliteMetadataStore(path);
    try {
      const listed = await store.scanObjects('b1', { prefix: '', start: '', limit: 100 });
      const byteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      assert.deepEqual(listed.map((o) => o.key), byteOrder);
      for (const [i, k] of keys.entries()) {
        const o = await store.getObject('b1', k);
        assert.equal(o?.size, i % 2 ? 4096 : 10, k);
        assert.equal(o?.tagging, 'a=b');
        assert.deepEqual(o?.headers, { 'cache-control': 'no' });
        if (i % 2) assert.ok(o?.inline?.equals(inline), `inline bytes of ${k}`);
        else assert.equal(o?.parts.length, 1);
      }
    } finally {
      await store.close();
    }
  });

  it('recountUsage(fix) repairs counters corrupted behind the store’s back', async () => {
    const store = await openSqliteMetadataStore(':memory:');
    const db = (store as unknown as { db: Database.Database }).db;
    try {
      const t = await store.createTenancy({ name: 't' });
      const made = await store.createBucket({ tenancyId: t.id, name: 'b', ownerId: 'u', region: 'r' });
      const made2 = await store.createBucket({ tenancyId: t.id, name: 'c', ownerId: 'u', region: 'r' });
      assert.ok(made.created && made2.created);
      const b = made.bucket.id;
      const c = made2.bucket.id;
      const put = (bucketId: string, key: string, size: number) => store.putObject({
        bucketId, key, size, etag: '"e"', contentType: 'x', headers: {}, inline: null, parts: [{ blobId: newId(), size }],
        checksum: null, tagging: null, ownerId: 'u', storageClass: 'STANDARD',
      });
      await Promise.all([put(b, 'a', 10), put(b, 'b', 20), put(c, 'a', 5)]);
      await store.createUpload({ uploadId: 'up', bucketId: c, key: 'm', ownerId: 'u', contentType: 'x', headers: {}, tagging: null, storageClass: 'STANDARD', checksumAlgorithm: null, checksumType: null });
      await store.putUploadPart({ uploadId: 'up', partNumber: 1, blobId: newId(), size: 4, etag: '"p"', checksum: null });
      db.prepare('UPDATE buckets SET used_bytes = 999, used_objects = 0 WHERE id = ?').run(b);
      db.prepare('UPDATE tenancies SET used_bytes = used_bytes + 1 WHERE id = ?').run(t.id);

      const report = await store.recountUsage(t.id, false);
      assert.deepEqual(report.counted, { bytes: 39, objects: 3 });
      assert.deepEqual(report.recorded, { bytes: 40, objects: 3 });
      assert.deepEqual(report.buckets, [
        { bucketId: b, counted: { bytes: 30, objects: 2 }, recorded: { bytes: 999, objects: 0 } },
        { bucketId: c, counted: { bytes: 9, objects: 1 }, recorded: { bytes: 9, objects: 1 } },
      ]);
      assert.deepEqual(await store.getBucketUsage(b), { bytes: 999, objects: 0 }, 'fix=false changes nothing');

      assert.deepEqual(await store.recountUsage(t.id, true), report, 'reports what it found');
      assert.deepEqual(await store.getBucketUsage(b), { bytes: 30, objects: 2 });
      assert.deepEqual(await store.getTenancyUsage(t.id), { bytes: 39, objects: 3 });
      const after = await store.recountUsage(t.id, false);
      assert.deepEqual(after.recorded, after.counted);
      assert.ok(after.buckets.every((x) => x.recorded.bytes === x.counted.bytes && x.recorded.objects === x.counted.objects));
    } finally {
      await store.close();
    }
  });

  it('deletes expired reservations when reserving; bucket deletion takes its reservations along', async () => {
    const store = await openSqliteMetadataStore(':memory:');
    const db = (store as unknown as { db: Database.Database }).db;
    const count = () => (db.prepare('SELECT count(*) AS n FROM quota_reservations').get() as { n: number }).n;
    try {
      const t = await store.createTenancy({ name: 't' });
      const made = await store.createBucket({ tenancyId: t.id, name: 'b', ownerId: 'u', region: 'r' });
      assert.ok(made.created);
      const r = { tenancyId: t.id, bucketId: made.bucket.id, bytes: 1, objects: 1 };
      // Long enough that the second reservation never finds the first expired, even on a loaded machine.
      await store.reserveQuota({ ...r, ttlMs: 250 });
      await store.reserveQuota({ ...r, ttlMs: 250 });
      assert.equal(count(), 2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await store.reserveQuota({ ...r, ttlMs: 60_000 });
      assert.equal(count(), 1);
      await assert.rejects(store.reserveQuota({ ...r, bucketId: 'nope', ttlMs: 1 }));
      assert.equal(await store.deleteBucket(made.bucket.id), 'deleted');
      assert.equal(count(), 0);
    } finally {
      await store.close();
    }
  });

  it('rejects writes after close', async () => {
    const store = await openSqliteMetadataStore(':memory:');
    await store.close();
    await assert.rejects(store.deleteObject('b', 'k'));
  });

  it('answers prefix scans from the covering listing index alone, point reads by the primary key', async () => {
    const store = await openSqliteMetadataStore(':memory:');
    const { db, s: statements } = store as unknown as { db: Database.Database; s: Record<string, Database.Statement> };
    try {
      // the store's own scan statements: every listed column must come from the index, no row visited
      for (const [name, params, bounds] of [
        ['scanGt', ['b', 'a', 10], 'key>?'],
        ['scanGe', ['b', 'a', 10], 'key>?'],
        ['scanGtLt', ['b', 'a', 'b', 10], 'key>? AND key<?'],
        ['scanGeLt', ['b', 'a', 'b', 10], 'key>? AND key<?'],
      ] as const) {
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${statements[name]!.source}`).all(...params) as { detail: string }[];
        assert.ok(plan.some((r) => r.detail === `SEARCH objects USING COVERING INDEX objects_listing (bucket_id=? AND ${bounds})`), `${name}: ${JSON.stringify(plan)}`);
        assert.ok(!plan.some((r) => /TEMP B-TREE/.test(r.detail)), name);
      }
      const point = db.prepare('EXPLAIN QUERY PLAN SELECT * FROM objects WHERE bucket_id = ? AND key = ?').all('b', 'k') as { detail: string }[];
      assert.ok(point.some((r) => /SEARCH objects USING INDEX sqlite_autoindex_objects_1 \(bucket_id=\? AND key=\?\)/.test(r.detail)), JSON.stringify(point));
    } finally {
      await store.close();
    }
  });

  describe('scans start where their range starts (pages visited, measured)', () => {
    // 100 "directories" d00/ … d99/ of 300 keys each, as rows written straight into the store's database.
    const DIRS = 100;
    const PER_DIR = 300;
    let store: Awaited<ReturnType<typeof openSqliteMetadataStore>>;
    let db: Database.Database;
    let bucketId: string;

    before(async () => {
      store = await openSqliteMetadataStore(tempPath());
      db = (store as unknown as { db: Database.Database }).db;
      const t = await store.createTenancy({ name: 't' });
      const made = await store.createBucket({ tenancyId: t.id, name: 'wide', ownerId: 'o', region: 'r' });
      assert.ok(made.created);
      bucketId = made.bucket.id;
      insertDirectories(db, bucketId, DIRS, PER_DIR);
      // 50 uploads per directory (multipart_uploads, in the order of its listing index)
      db.prepare(`INSERT INTO multipart_uploads (upload_id, bucket_id, key, initiated_at, owner_id, content_type, headers,
          tagging, storage_class, checksum_algorithm, checksum_type)
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        SELECT printf('up%06d', i), ?, printf('d%02d/u%05d', i / 50, i % 50), 1, 'o', 'x', '{}', NULL, 'STANDARD', NULL, NULL
        FROM n`).run(DIRS * 50, bucketId);
      starvePageCache(db);
    });
    after(() => store.close());

    const keys = (rows: { key: string }[]) => rows.map((r) => r.key);
    const page = (prefix: string, start: string, inclusive: boolean) => store.scanObjects(bucketId, { prefix, start, inclusive, limit: 16 });

    it('a page of keys deep in the bucket reads as few pages as one at its start', async () => {
      const atStart = await pagesRead(db, () => page('', '', false));
      assert.ok(atStart >= 2 && atStart <= 8, `a 16-key page at the start read ${atStart} pages`);
      for (const [prefix, start, inclusive, first] of [
        ['', 'd10/', true, 'd10/k00000'],
        ['', 'd50/', true, 'd50/k00000'],
        ['', 'd90/', true, 'd90/k00000'],
        ['', 'd90/k00100', false, 'd90/k00101'],
        ['d', 'd90/', false, 'd90/k00000'],
        ['d', 'd90/k00100', true, 'd90/k00100'],
        ['d9', 'd', false, 'd90/k00000'], // a start before the prefix: the prefix bounds the range
      ] as const) {
        let rows: { key: string }[] = [];
        const n = await pagesRead(db, async () => (rows = await page(prefix, start, inclusive)));
        assert.equal(keys(rows)[0], first, `${prefix}|${start}`);
        assert.equal(rows.length, 16);
        // Two lower bounds (`key >= prefix AND key > start`) had SQLite seek by the prefix and filter the
        // start row by row: 89 pages at d10/ (4 at the start), more the deeper.
        assert.ok(n <= atStart + 2, `prefix ${JSON.stringify(prefix)} start ${JSON.stringify(start)}: ${n} pages read, ${atStart} at the start`);
      }
      assert.deepEqual(await page('d1', 'd2', false), [], 'a start past the prefix: nothing');
    });

    it('uploads after a key marker deep in the bucket read as few pages as those at its start', async () => {
      const uploads = (prefix: string, keyMarker: string) => store.scanUploads(bucketId, { prefix, keyMarker, uploadIdMarker: '', limit: 16 });
      const atStart = await pagesRead(db, () => uploads('', ''));
      assert.ok(atStart >= 2 && atStart <= 10, `16 uploads at the start read ${atStart} pages`);
      for (const [prefix, marker, first] of [
        ['', 'd90/', 'd90/u00000'],
        ['', 'd90/u00010', 'd90/u00011'],
        ['d', 'd90/', 'd90/u00000'],
        ['d9', 'd', 'd90/u00000'],
      ] as const) {
        let rows: { key: string }[] = [];
        const n = await pagesRead(db, async () => (rows = await uploads(prefix, marker)));
        assert.equal(keys(rows)[0], first, `${prefix}|${marker}`);
        assert.equal(rows.length, 16);
        assert.ok(n <= atStart + 2, `prefix ${JSON.stringify(prefix)} key-marker ${JSON.stringify(marker)}: ${n} pages read, ${atStart} at the start`);
      }
    });
  });
});

describe('SqliteMetadataStore observer (metrics)', () => {
  it('is told of every group commit with the number of writes in it', async () => {
    const batches: Array<{ seconds: number; ops: number }> = [];
    const store = await openSqliteMetadataStore(':memory:', { observer: { transaction: (seconds, ops) => batches.push({ seconds, ops }) } });
    try {
      const tenancy = await store.createTenancy({ name: 'obs' });
      const user = await store.createUser({ username: 'obs-user', passwordHash: 'scrypt$x' });
      const made = await store.createBucket({ tenancyId: tenancy.id, name: 'bucket', ownerId: user.id, region: 'us-east-1' });
      assert.ok(made.created);
      const bucket = made.bucket;
      batches.length = 0;
      // Issued in one turn: one transaction.
      const object = (key: string) => ({ bucketId: bucket.id, key, size: 1, etag: '"e"', contentType: 'text/plain', headers: {}, inline: Buffer.from('x'), parts: [], checksum: null, tagging: null, ownerId: user.id, storageClass: 'STANDARD' as const });
      const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => store.putObject(object(k))));
      assert.ok(results.every((r) => r.ok));
      assert.deepEqual(batches.map((b) => b.ops), [5]);
      assert.ok(batches[0]!.seconds > 0 && batches[0]!.seconds < 10);
    } finally {
      await store.close();
    }
  });
});
