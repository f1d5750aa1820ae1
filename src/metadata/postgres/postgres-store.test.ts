/**
 * PostgresMetadataStore: the shared contract against a throwaway PostgreSQL (test/helpers/postgres.ts, or
 * GRANARY_TEST_PG_URL), one fresh schema per store so tests cannot see each other's rows, plus
 * PostgreSQL-specific checks: migrations idempotent and safe when several stores open at once, COLLATE "C"
 * ordering, and conditional-write races between separate pools (as between gateways), which the
 * in-process per-key ordering of one store would otherwise hide.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../../../test/helpers/postgres.js';
import { newId } from '../../lib/ids.js';
import { listObjects } from '../../core/listing.js';
import { metadataStoreContract } from '../contract/index.js';
import { compareKeys } from '../key-range.js';
import type { MetadataStore, NewObject } from '../store.js';
import { migrations, quoteIdent, runMigrations } from './migrations.js';
import { openPostgresMetadataStore, type PostgresMetadataStore } from './postgres-store.js';

let server: TestPostgres | undefined;
let admin: pg.Pool | undefined;
const schemas: string[] = [];

before(async () => {
  server = await startPostgres();
  admin = new pg.Pool({ connectionString: server.url, max: 2 });
});
after(async () => {
  // With an external server (GRANARY_TEST_PG_URL) nothing else would clean these up.
  for (const s of schemas) await admin?.query(`DROP SCHEMA IF EXISTS ${quoteIdent(s)} CASCADE`).catch(() => {});
  await admin?.end();
  await server?.stop();
});

const freshSchema = () => {
  const s = `t_${newId().slice(0, 16)}`;
  schemas.push(s);
  return s;
};
const url = () => {
  assert.ok(server, 'PostgreSQL not started');
  return server.url;
};

metadataStoreContract('postgres', () => openPostgresMetadataStore(url(), { schema: freshSchema(), poolSize: 10 }));

/** A fixture: one tenancy, one bucket; returns the bucket id. */
async function makeBucket(store: MetadataStore): Promise<{ tenancyId: string; bucketId: string }> {
  const t = await store.createTenancy({ name: `t-${newId().slice(0, 8)}` });
  const made = await store.createBucket({ tenancyId: t.id, name: 'b', ownerId: 'o', region: 'r' });
  assert.ok(made.created);
  return { tenancyId: t.id, bucketId: made.bucket.id };
}

function obj(bucketId: string, key: string, over: Partial<NewObject> = {}): NewObject {
  return {
    bucketId, key, size: 10, etag: `"${newId()}"`, contentType: 'x', headers: {}, inline: null,
    parts: [{ blobId: newId(), size: 10 }], checksum: null, tagging: null, ownerId: 'o', storageClass: 'STANDARD', ...over,
  };
}

describe('PostgresMetadataStore specifics', () => {
  it('tells its observer of transactions and pool waits, and reports its pool', async () => {
    const seen = { transactions: 0, waits: 0 };
    const store = await openPostgresMetadataStore(url(), { schema: freshSchema(), poolSize: 3, observer: { transaction: () => seen.transactions++, poolWait: () => seen.waits++ } });
    try {
      const { bucketId } = await makeBucket(store);
      const before = { ...seen };
      for (const k of ['a', 'b', 'c']) assert.ok((await store.putObject(obj(bucketId, k))).ok);
      assert.ok(seen.transactions >= before.transactions + 3, JSON.stringify(seen));
      assert.ok(seen.waits >= before.waits + 3, JSON.stringify(seen));
      const pool = store.poolStats();
      assert.ok(pool.total >= 1 && pool.total <= 3 && pool.idle <= pool.total && pool.waiting === 0, JSON.stringify(pool));
      assert.equal(await store.pendingMigrations(), 0);
    } finally {
      await store.close();
    }
  });

  it('applies migrations once even when several stores open the same schema at once', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresMetadataStore(url(), { schema, poolSize: 2 })));
    await Promise.all(stores.map((s) => s.close()));
    // Reopening applies nothing new.
    await (await openPostgresMetadataStore(url(), { schema, poolSize: 1 })).close();
    const c = await admin!.connect();
    try {
      const rows = (await c.query(`SELECT id, name FROM ${quoteIdent(schema)}.schema_migrations ORDER BY id`)).rows;
      assert.deepEqual(rows, migrations.map((m) => ({ id: m.id, name: m.name })));
      assert.deepEqual(await runMigrations(c, schema), []);
    } finally {
      c.release();
    }
  });

  it('stores keys in COLLATE "C": UTF-8 byte order, not locale order', async () => {
    const schema = freshSchema();
    const store = await openPostgresMetadataStore(url(), { schema });
    try {
      const col = await admin!.query(
        `SELECT collation_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'objects' AND column_name = 'key'`,
        [schema],
      );
      assert.equal(col.rows[0]?.collation_name, 'C');
      const { bucketId } = await makeBucket(store);
      const keys = ['a', 'B', 'ä', '😀', '\uFFFD', 'b', 'A', 'Ä', '\uFFFF', 'a\u0301', 'z', '~'];
      for (const k of keys) assert.ok((await store.putObject(obj(bucketId, k))).ok);
      const listed = (await store.scanObjects(bucketId, { prefix: '', start: '', limit: 100 })).map((o) => o.key);
      assert.deepEqual(listed, [...keys].sort(compareKeys));
      // Spot checks that would fail under a linguistic collation or UTF-16 order.
      assert.ok(listed.indexOf('B') < listed.indexOf('a'));
      assert.ok(listed.indexOf('z') < listed.indexOf('ä'));
      assert.ok(listed.indexOf('\uFFFD') < listed.indexOf('😀'));
    } finally {
      await store.close();
    }
  });

  it('50 concurrent If-None-Match: * puts through 5 separate pools: exactly one wins', async () => {
    const schema = freshSchema();
    const stores: PostgresMetadataStore[] = [];
    for (let i = 0; i < 5; i++) stores.push(await openPostgresMetadataStore(url(), { schema, poolSize: 10 }));
    try {
      const { tenancyId, bucketId } = await makeBucket(stores[0]!);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % 5]!.putObject(obj(bucketId, 'race'), { ifNoneMatch: '*' })),
      );
      const winners = results.filter((r) => r.ok);
      assert.equal(winners.length, 1);
      assert.ok(results.every((r) => r.ok || r.reason === 'precondition-failed'));
      assert.equal((await stores[3]!.getObject(bucketId, 'race'))?.etag, winners[0]!.ok && winners[0]!.object.etag);
      assert.deepEqual(await stores[1]!.getBucketUsage(bucketId), { bytes: 10, objects: 1 });
      assert.deepEqual(await stores[2]!.getTenancyUsage(tenancyId), { bytes: 10, objects: 1 });
      assert.deepEqual(await stores[4]!.takeBlobDeletions(Date.now() + 60_000, 100), []);

      // Then 50 If-Match puts against the current ETag: still exactly one wins (compare-and-swap).
      const current = (await stores[0]!.getObject(bucketId, 'race'))!.etag;
      const cas = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % 5]!.putObject(obj(bucketId, 'race', { size: 7 }), { ifMatch: current })),
      );
      assert.equal(cas.filter((r) => r.ok).length, 1);
      assert.deepEqual(await stores[0]!.getBucketUsage(bucketId), { bytes: 7, objects: 1 });
      // Exactly the one replaced blob is queued.
      assert.equal((await stores[0]!.takeBlobDeletions(Date.now() + 60_000, 100)).length, 1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('keeps usage exact with concurrent puts and deletes from several pools', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 3 }, () => openPostgresMetadataStore(url(), { schema, poolSize: 8 })));
    try {
      const { tenancyId, bucketId } = await makeBucket(stores[0]!);
      // Every key written by all three pools; then every other key deleted by all three.
      await Promise.all(Array.from({ length: 60 }, (_, i) => stores[i % 3]!.putObject(obj(bucketId, `k${i % 20}`, { size: i + 1 }))));
      await Promise.all(Array.from({ length: 30 }, (_, i) => stores[i % 3]!.deleteObject(bucketId, `k${(i % 10) * 2}`)));
      const left = await stores[0]!.scanObjects(bucketId, { prefix: '', start: '', limit: 100 });
      assert.equal(left.length, 10);
      const bytes = left.reduce((n, o) => n + o.size, 0);
      assert.deepEqual(await stores[1]!.getBucketUsage(bucketId), { bytes, objects: 10 });
      assert.deepEqual(await stores[2]!.getTenancyUsage(tenancyId), { bytes, objects: 10 });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('password checks racing through 3 separate pools (as gateways): exactly the free ones pass, no deadlock', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 3 }, () => openPostgresMetadataStore(url(), { schema, poolSize: 8 })));
    try {
      const policy = (records: Array<{ failures: number }>) => (records.some((r) => r.failures >= 5) ? Number.MAX_SAFE_INTEGER : 0);
      // Two keys each, in both orders, on a fresh row and an existing one: the locks are taken sorted.
      await stores[0]!.beginAuthAttempt([{ key: 'ip:192.0.2.9', forgetBefore: 0 }], 1, () => 0);
      const results = await Promise.all(
        Array.from({ length: 45 }, (_, i) => {
          const keys = i % 2 ? ['user:racer', 'ip:192.0.2.9'] : ['ip:192.0.2.9', 'user:racer'];
          return stores[i % 3]!.beginAuthAttempt(keys.map((key) => ({ key, forgetBefore: 0 })), 1000 + i, policy);
        }),
      );
      // The address had one failure already: four more pass, then its count stops everything.
      assert.equal(results.filter((r) => r.allowed).length, 4);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('50 concurrent reserve+put cycles through 3 separate pools never push usage past a small tenancy quota', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 3 }, () => openPostgresMetadataStore(url(), { schema, poolSize: 6 })));
    try {
      const { tenancyId, bucketId } = await makeBucket(stores[0]!);
      const other = await stores[0]!.createBucket({ tenancyId, name: 'b2', ownerId: 'o', region: 'r' });
      assert.ok(other.created);
      const buckets = [bucketId, other.bucket.id];
      const QUOTA = 1000;
      await stores[0]!.updateTenancy(tenancyId, { quotaBytes: QUOTA, quotaObjects: 40 });
      let peak = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, (await stores[2]!.getTenancyUsage(tenancyId)).bytes);
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      // Sizes 37..86: together about 3x the quota. Every 5th cycle skips the reservation and relies on the
      // check inside the write's own transaction; every 7th declares too little and writes more.
      const results = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const store = stores[i % 3]!;
          const size = 37 + i;
          const b = buckets[i % 2]!;
          let reservationId: string | undefined;
          if (i % 5 !== 0) {
            const r = await store.reserveQuota({ tenancyId, bucketId: b, bytes: i % 7 === 0 ? 10 : size, objects: 1, ttlMs: 60_000 });
            if (!r.ok) {
              assert.equal(r.scope, 'tenancy');
              return 'reserve-refused';
            }
            reservationId = r.reservation.id;
          }
          const put = await store.putObject(obj(b, `k${i}`, { size, parts: [{ blobId: newId(), size }] }), undefined, {
            enforce: true,
            ...(reservationId !== undefined ? { reservationId } : {}),
          });
          if (put.ok) return 'stored';
          assert.equal(put.reason, 'quota-exceeded');
          return 'put-refused';
        }),
      );
      sampling = false;
      await sampler;
      const stored = results.filter((r) => r === 'stored').length;
      assert.ok(stored > 0 && stored < 50, `stored ${stored}`);
      const objects = (await Promise.all(buckets.map((b) => stores[1]!.scanObjects(b, { prefix: '', start: '', limit: 100 })))).flat();
      assert.equal(objects.length, stored);
      const bytes = objects.reduce((n, o) => n + o.size, 0);
      const usage = await stores[0]!.getTenancyUsage(tenancyId);
      assert.deepEqual(usage, { bytes, objects: stored });
      assert.ok(usage.bytes <= QUOTA, `usage ${usage.bytes} > quota ${QUOTA}`);
      assert.ok(peak <= QUOTA, `peak ${peak} > quota ${QUOTA}`);
      // Refused writes left nothing behind: no rows, no blob references, no reservations; counters match rows.
      const recount = await stores[1]!.recountUsage(tenancyId, false);
      assert.deepEqual(recount.counted, recount.recorded);
      const left = await admin!.query(`SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.quota_reservations`);
      assert.equal(left.rows[0].n, 0);
      const refs = await admin!.query(`SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.object_blobs`);
      assert.equal(refs.rows[0].n, stored);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('concurrent enforced puts without reservations, bucket quota inside tenancy quota: exact fill', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 3 }, () => openPostgresMetadataStore(url(), { schema, poolSize: 6 })));
    try {
      const { tenancyId, bucketId } = await makeBucket(stores[0]!);
      await stores[0]!.updateTenancy(tenancyId, { quotaBytes: 1000 });
      assert.ok(await stores[1]!.setBucketQuota(bucketId, { bytes: null, objects: 7 }));
      // A live reservation held by someone else takes 200 bytes of the tenancy's room.
      const held = await stores[2]!.reserveQuota({ tenancyId, bucketId, bytes: 200, objects: 0, ttlMs: 60_000 });
      assert.ok(held.ok);
      const put = (i: number) => stores[i % 3]!.putObject(obj(bucketId, `k${i}`, { size: 100 }), undefined, { enforce: true });
      const first = await Promise.all(Array.from({ length: 30 }, (_, i) => put(i)));
      // 7 objects fit the bucket's object quota (700 bytes + 200 reserved <= 1000); the rest are refused.
      assert.equal(first.filter((r) => r.ok).length, 7);
      const refused = first.find((r): r is Extract<typeof r, { reason: 'quota-exceeded' }> => !r.ok && r.reason === 'quota-exceeded');
      assert.deepEqual(refused && { scope: refused.scope, kind: refused.kind, limit: refused.limit, used: refused.used },
        { scope: 'bucket', kind: 'objects', limit: 7, used: 7 });
      assert.ok(await stores[0]!.setBucketQuota(bucketId, { bytes: null, objects: null }));
      const second = await Promise.all(Array.from({ length: 10 }, (_, i) => put(100 + i)));
      // Now the tenancy's bytes bind: 700 used + 200 reserved leaves room for one more 100-byte object.
      assert.equal(second.filter((r) => r.ok).length, 1);
      await stores[2]!.releaseQuota(held.reservation.id);
      const third = await Promise.all(Array.from({ length: 10 }, (_, i) => put(200 + i)));
      assert.equal(third.filter((r) => r.ok).length, 2);
      assert.deepEqual(await stores[0]!.getTenancyUsage(tenancyId), { bytes: 1000, objects: 10 });
      // Shrinking and deleting are never refused, even when full.
      const [x, y] = await stores[0]!.scanObjects(bucketId, { prefix: '', start: '', limit: 2 });
      assert.ok((await stores[1]!.putObject(obj(bucketId, x!.key, { size: 50 }), undefined, { enforce: true })).ok);
      assert.equal((await stores[2]!.deleteObject(bucketId, y!.key)).ok, true);
      assert.deepEqual(await stores[0]!.getTenancyUsage(tenancyId), { bytes: 850, objects: 9 });
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('uploads re-uploading objects through 3 pools while the objects are overwritten and deleted: credits stay within the objects, usage exact', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(Array.from({ length: 3 }, () => openPostgresMetadataStore(url(), { schema, poolSize: 6 })));
    try {
      const { tenancyId, bucketId } = await makeBucket(stores[0]!);
      const keys = ['a', 'b', 'c', 'd'];
      for (const k of keys) await stores[0]!.putObject(obj(bucketId, k, { size: 100, parts: [{ blobId: newId(), size: 100 }] }));
      const QUOTA = 700;
      await stores[0]!.updateTenancy(tenancyId, { quotaBytes: QUOTA });
      // Two uploads per key (as two gateways re-uploading the same file), 30-byte parts, while other writers
      // shrink, grow and delete the objects they would replace.
      const uploads = await Promise.all(keys.flatMap((k) => [0, 1].map((i) => stores[i]!.createUpload({
        uploadId: newId(), bucketId, key: k, ownerId: 'o', contentType: 'x', headers: {}, tagging: null,
        storageClass: 'STANDARD', checksumAlgorithm: null, checksumType: null,
      }))));
      const ops: Array<Promise<unknown>> = [];
      for (let n = 1; n <= 6; n++) {
        for (const [i, u] of uploads.entries()) {
          ops.push(stores[(i + n) % 3]!.putUploadPart({ uploadId: u.uploadId, partNumber: n, blobId: newId(), size: 30, etag: `"${n}"`, checksum: null }, { enforce: true }));
        }
        const k = keys[n % keys.length]!;
        ops.push(n % 3 === 0
          ? stores[n % 3]!.deleteObject(bucketId, k)
          : stores[n % 3]!.putObject(obj(bucketId, k, { size: 20 * n, parts: [{ blobId: newId(), size: 20 * n }] }), undefined, { enforce: true }));
      }
      const results = await Promise.all(ops);
      for (const r of results) assert.ok((r as { ok: boolean }).ok || (r as { reason: string }).reason === 'quota-exceeded', JSON.stringify(r));
      const q = (sql: string) => admin!.query(sql.replaceAll('$s', quoteIdent(schema)));
      const over = await q(`SELECT c.key, sum(c.bytes) AS credit, max(o.size) AS size FROM $s.upload_credits c
        LEFT JOIN $s.objects o ON o.bucket_id = c.bucket_id AND o.key = c.key GROUP BY c.key HAVING sum(c.bytes) > coalesce(max(o.size), 0)`);
      assert.deepEqual(over.rows, [], 'credits never exceed the object they are against');
      const rec = await stores[1]!.recountUsage(tenancyId, false);
      assert.deepEqual(rec.counted, rec.recorded);
      assert.ok(rec.recorded.bytes <= QUOTA, `usage ${rec.recorded.bytes} > ${QUOTA}`);
      // Completing every upload with all its parts leaves exactly the objects' bytes.
      for (const u of uploads) {
        const parts = await stores[2]!.listUploadParts(u.uploadId, 0, 100);
        const size = parts.reduce((n, p) => n + p.size, 0);
        await stores[u.uploadId.charCodeAt(0) % 3]!.completeUpload(u.uploadId, obj(bucketId, u.key, { size, parts: parts.map((p) => ({ blobId: p.blobId, size: p.size, etag: p.etag })) }), undefined, { enforce: true });
      }
      const left = await stores[0]!.scanObjects(bucketId, { prefix: '', start: '', limit: 100 });
      assert.deepEqual(await stores[0]!.getTenancyUsage(tenancyId), { bytes: left.reduce((n, o) => n + o.size, 0), objects: left.length });
      assert.equal((await q('SELECT count(*)::int AS n FROM $s.upload_credits')).rows[0].n, 0);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('a refused write rolls back entirely and releases its reservation; reservations expire on PostgreSQL\'s clock', async () => {
    const schema = freshSchema();
    const store = await openPostgresMetadataStore(url(), { schema });
    try {
      const { tenancyId, bucketId } = await makeBucket(store);
      await store.updateTenancy(tenancyId, { quotaBytes: 100 });
      const r = await store.reserveQuota({ tenancyId, bucketId, bytes: 50, objects: 1, ttlMs: 60_000 });
      assert.ok(r.ok);
      const blobId = newId();
      const put = await store.putObject(obj(bucketId, 'big', { size: 150, parts: [{ blobId, size: 150 }] }), undefined, {
        enforce: true,
        reservationId: r.reservation.id,
      });
      assert.deepEqual(put, { ok: false, reason: 'quota-exceeded', scope: 'tenancy', kind: 'bytes', limit: 100, used: 0, needed: 150 });
      assert.equal(await store.getObject(bucketId, 'big'), undefined);
      assert.equal(await store.isBlobKnown(blobId), false);
      assert.deepEqual(await store.getTenancyUsage(tenancyId), { bytes: 0, objects: 0 });
      // Its reservation is gone: the whole quota is free again.
      assert.ok((await store.reserveQuota({ tenancyId, bucketId, bytes: 100, objects: 0, ttlMs: 1 })).ok);
      await new Promise((res) => setTimeout(res, 20));
      // ...and that short one has expired.
      assert.ok((await store.reserveQuota({ tenancyId, bucketId, bytes: 100, objects: 0, ttlMs: 60_000 })).ok);
    } finally {
      await store.close();
    }
  });

  it('rejects writes after close and flushes coalesced touches at close', async () => {
    const schema = freshSchema();
    let store = await openPostgresMetadataStore(url(), { schema });
    const t = await store.createTenancy({ name: 't' });
    const u = await store.createUser({ username: 'u', passwordHash: 'h' });
    await store.createAccessKey({ accessKeyId: 'AK', userId: u.id, tenancyId: t.id, name: 'k', secretEncrypted: 's', expiresAt: null, restriction: null });
    await store.touchAccessKey('AK', 12345);
    await store.close();
    await assert.rejects(store.deleteObject('b', 'k'));
    store = await openPostgresMetadataStore(url(), { schema });
    try {
      assert.equal((await store.getAccessKey('AK'))?.lastUsedAt, 12345);
    } finally {
      await store.close();
    }
  });

  it('refuses an invalid schema name', async () => {
    await assert.rejects(openPostgresMetadataStore(url(), { schema: 'x; DROP TABLE y' }), /invalid PostgreSQL schema/);
  });

  describe('scans start where their range starts (EXPLAIN ANALYZE, BUFFERS of the store\'s own queries)', () => {
    // 100 "directories" d00/ … d99/ of 300 keys (and 50 uploads) each, generated in the database.
    const DIRS = 100;
    let store: PostgresMetadataStore;
    let schema: string;
    let bucketId: string;
    const sent: { sql: string; params: unknown[] }[] = [];

    before(async () => {
      schema = freshSchema();
      store = await openPostgresMetadataStore(url(), { schema, poolSize: 2 });
      ({ bucketId } = await makeBucket(store));
      const q = quoteIdent(schema);
      await admin!.query(`INSERT INTO ${q}.objects (bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts,
          checksum, tagging, owner_id, storage_class)
        SELECT $1, format('d%s/k%s', lpad((i / 300)::text, 2, '0'), lpad((i % 300)::text, 5, '0')), 0,
          '"d41d8cd98f00b204e9800998ecf8427e"', 0, 'x', '{}', '', '[]', NULL, NULL, 'o', 'STANDARD'
        FROM generate_series(0, ${DIRS * 300 - 1}) AS i`, [bucketId]);
      await admin!.query(`INSERT INTO ${q}.multipart_uploads (upload_id, bucket_id, key, initiated_at, owner_id, content_type,
          headers, tagging, storage_class, checksum_algorithm, checksum_type)
        SELECT format('up%s', lpad(i::text, 6, '0')), $1, format('d%s/u%s', lpad((i / 50)::text, 2, '0'), lpad((i % 50)::text, 5, '0')),
          1, 'o', 'x', '{}', NULL, 'STANDARD', NULL, NULL
        FROM generate_series(0, ${DIRS * 50 - 1}) AS i`, [bucketId]);
      await admin!.query(`VACUUM ANALYZE ${q}.objects, ${q}.multipart_uploads`);
      // Record what the store sends (the real queries still run), to have PostgreSQL explain exactly those.
      const plumbing = store as unknown as { query(sql: string, params?: unknown[]): Promise<unknown> };
      const query = plumbing.query.bind(store);
      plumbing.query = (sql, params = []) => {
        sent.push({ sql, params });
        return query(sql, params);
      };
    });
    after(() => store.close());

    interface PlanNode { 'Node Type': string; 'Index Cond'?: string; Filter?: string; 'Shared Hit Blocks': number; 'Shared Read Blocks': number; Plans?: PlanNode[] }
    /** What `fn` made the store send, each explained (executed again) with ANALYZE and BUFFERS. */
    async function explained(fn: () => Promise<unknown>): Promise<{ sql: string; blocks: number; scans: PlanNode[] }[]> {
      sent.length = 0;
      await fn();
      const out = [];
      const c = await admin!.connect();
      try {
        await c.query(`SET search_path TO ${quoteIdent(schema)}`);
        for (const { sql, params } of sent) {
          const plan = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params)).rows[0]['QUERY PLAN'][0].Plan as PlanNode;
          const scans: PlanNode[] = [];
          const walk = (n: PlanNode): void => {
            if (/Index/.test(n['Node Type'])) scans.push(n);
            n.Plans?.forEach(walk);
          };
          walk(plan);
          out.push({ sql, blocks: plan['Shared Hit Blocks'] + plan['Shared Read Blocks'], scans });
        }
      } finally {
        c.release();
      }
      return out;
    }
    /** One index scan, bounded by one lower bound on key, nothing filtered row by row. */
    function oneLowerBound(q: { sql: string; scans: PlanNode[] }): void {
      assert.equal(q.scans.length, 1, q.sql);
      const cond = q.scans[0]!['Index Cond'] ?? '';
      assert.equal(cond.match(/\(key >=? /g)?.length, 1, `Index Cond ${cond}`);
      assert.equal(q.scans[0]!.Filter, undefined, q.sql);
    }

    it('a page of keys deep in the bucket touches as many buffers as one at its start', async () => {
      const page = (prefix: string, start: string, inclusive: boolean) => store.scanObjects(bucketId, { prefix, start, inclusive, limit: 16 });
      const [atStart] = await explained(() => page('', '', false));
      oneLowerBound(atStart!);
      assert.ok(atStart!.blocks <= 10, `${atStart!.blocks} buffers at the start`);
      for (const [prefix, start, inclusive] of [['', 'd10/', true], ['', 'd50/', true], ['', 'd90/', true], ['', 'd90/k00100', false],
        ['d', 'd90/', false], ['d9', 'd', false]] as const) {
        const [q] = await explained(async () => assert.equal((await page(prefix, start, inclusive)).length, 16));
        oneLowerBound(q!);
        assert.ok(q!.blocks <= atStart!.blocks + 2, `prefix ${JSON.stringify(prefix)} start ${JSON.stringify(start)}: ${q!.blocks} buffers, ${atStart!.blocks} at the start`);
      }
    });

    it('uploads after a key marker deep in the bucket touch as many buffers as those at its start', async () => {
      const uploads = (prefix: string, keyMarker: string) => store.scanUploads(bucketId, { prefix, keyMarker, uploadIdMarker: '', limit: 16 });
      const [atStart] = await explained(() => uploads('', ''));
      oneLowerBound(atStart!);
      for (const [prefix, marker] of [['', 'd90/'], ['', 'd90/u00010'], ['d', 'd90/'], ['d9', 'd']] as const) {
        const [q] = await explained(async () => assert.equal((await uploads(prefix, marker)).length, 16));
        oneLowerBound(q!);
        assert.ok(q!.blocks <= atStart!.blocks + 2, `prefix ${JSON.stringify(prefix)} key-marker ${JSON.stringify(marker)}: ${q!.blocks} buffers, ${atStart!.blocks} at the start`);
      }
    });

    it('a page of versions deep in the bucket touches as many buffers as one at its start (both scans, one lower bound each)', async () => {
      const q = quoteIdent(schema);
      // 2 noncurrent versions of every key (60,000), generated in the database.
      await admin!.query(`INSERT INTO ${q}.object_versions (bucket_id, key, seq, version_id, size, etag, last_modified, content_type,
          headers, parts, owner_id, storage_class)
        SELECT $1, format('d%s/k%s', lpad((i / 600)::text, 2, '0'), lpad(((i / 2) % 300)::text, 5, '0')), i + 1, lpad((i + 1)::text, 11, '0'),
          0, '"d41d8cd98f00b204e9800998ecf8427e"', 0, 'x', '{}', '[]', 'o', 'STANDARD'
        FROM generate_series(0, ${DIRS * 600 - 1}) AS i`, [bucketId]);
      await admin!.query(`VACUUM ANALYZE ${q}.object_versions`);
      const page = (prefix: string, start: string, inclusive: boolean) => store.scanObjectVersions(bucketId, { prefix, start, inclusive, limit: 16 });
      const atStart = await explained(() => page('', '', false));
      assert.equal(atStart.length, 2, 'one scan of current versions, one of noncurrent ones');
      atStart.forEach(oneLowerBound);
      for (const [prefix, start, inclusive] of [['', 'd50/', true], ['', 'd90/k00100', false], ['d9', 'd', false]] as const) {
        const qs = await explained(async () => {
          const rows = await page(prefix, start, inclusive);
          assert.equal(rows.length, 16);
          assert.deepEqual(rows.slice(0, 3).map((r) => r.isLatest), [true, false, false]);
        });
        qs.forEach(oneLowerBound);
        qs.forEach((x, i) => assert.ok(x.blocks <= atStart[i]!.blocks + 2, `prefix ${JSON.stringify(prefix)} start ${JSON.stringify(start)}: ${x.blocks} buffers, ${atStart[i]!.blocks} at the start`));
      }
    });

    it('a root delimiter listing touches buffers per directory, not per key', async () => {
      let prefixes: string[] = [];
      const queries = await explained(async () => {
        const r = await listObjects(store, bucketId, { prefix: '', delimiter: '/', startAfter: '', maxKeys: 1000 });
        prefixes = r.entries.map((e) => (e.kind === 'prefix' ? e.prefix : e.object.key));
      });
      assert.deepEqual(prefixes, Array.from({ length: DIRS }, (_, d) => `d${String(d).padStart(2, '0')}/`));
      queries.forEach(oneLowerBound);
      const blocks = queries.reduce((n, q) => n + q.blocks, 0);
      const [one] = await explained(() => store.scanObjects(bucketId, { prefix: '', start: '', limit: 16 }));
      assert.ok(blocks <= DIRS * (one!.blocks + 1), `${blocks} buffers in ${queries.length} queries for ${DIRS} common prefixes (one seek: ${one!.blocks})`);
    });
  });
});
