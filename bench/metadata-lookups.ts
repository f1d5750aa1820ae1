/**
 * Micro-benchmark of the metadata query layer (issue 17): the lookups every S3 request makes (access key,
 * bucket by name, tenancy, user), on SQLite, three ways in one run:
 *   direct — a better-sqlite3 statement prepared once and called (the stores before issue 17);
 *   port   — sql/port.ts: SQL text → cached statement, `?` parameters, async (the stores now);
 *   kysely — when GRANARY_KYSELY points at an installed `kysely` package: the query built and compiled by
 *            Kysely per call (its normal use), then run through the same cached statement;
 *   other  — when GRANARY_PORT_OTHER points at another version of sql/port.ts (e.g. `git show main:…` saved
 *            to a file next to this one): that port, for an A/B of a change to the port in one run.
 * Run: node --import tsx bench/metadata-lookups.ts [lookups]   (prints ns per lookup, best of 5 rounds)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteMetadataStore } from '../src/metadata/sqlite/sqlite-store.js';
import { sqlitePort, type Row } from '../src/metadata/sql/port.js';
import { toAccessKey, toBucket } from '../src/metadata/rows.js';

const N = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'granary-lookups-'));
const path = join(dir, 'metadata.db');

async function main(): Promise<void> {
  const store = await openSqliteMetadataStore(path);
  const t = await store.createTenancy({ name: 'bench' });
  const u = await store.createUser({ username: 'bench', passwordHash: 'x' });
  const made = await store.createBucket({ tenancyId: t.id, name: 'bench', ownerId: u.id, region: 'us-east-1' });
  if (!made.created) throw new Error('bucket');
  await store.setBucketConfiguration(made.bucket.id, 'cors', '[]');
  await store.createAccessKey({ accessKeyId: 'AKIDBENCH', userId: u.id, tenancyId: t.id, name: 'k', secretEncrypted: 'x', expiresAt: null, restriction: null });
  await store.close();

  const db = new Database(path);
  const q = sqlitePort(db);
  const keySql = 'SELECT * FROM access_keys WHERE access_key_id = ?';
  const bucketSql = 'SELECT * FROM buckets WHERE tenancy_id = ? AND name = ?';
  const keyStmt = db.prepare(keySql);
  const bucketStmt = db.prepare(bucketSql);

  const ways: Record<string, () => Promise<unknown>> = {
    direct: async () => {
      toAccessKey(keyStmt.get('AKIDBENCH') as Row);
      return toBucket(bucketStmt.get(t.id, 'bench') as Row);
    },
    port: async () => {
      toAccessKey((await q.one(keySql, ['AKIDBENCH']))!);
      return toBucket((await q.one(bucketSql, [t.id, 'bench']))!);
    },
  };
  if (process.env.GRANARY_KYSELY) {
    const { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, DummyDriver } = await import(process.env.GRANARY_KYSELY);
    const k = new Kysely({ dialect: { createAdapter: () => new SqliteAdapter(), createDriver: () => new DummyDriver(), createIntrospector: (d: unknown) => new SqliteIntrospector(d), createQueryCompiler: () => new SqliteQueryCompiler() } });
    ways.kysely = async () => {
      const a = k.selectFrom('access_keys').selectAll().where('access_key_id', '=', 'AKIDBENCH').compile();
      toAccessKey((await q.one(a.sql, a.parameters))!);
      const b = k.selectFrom('buckets').selectAll().where('tenancy_id', '=', t.id).where('name', '=', 'bench').compile();
      return toBucket((await q.one(b.sql, b.parameters))!);
    };
  }
  if (process.env.GRANARY_PORT_OTHER) {
    const other = ((await import(process.env.GRANARY_PORT_OTHER)) as { sqlitePort: typeof sqlitePort }).sqlitePort(db);
    ways.other = async () => {
      toAccessKey((await other.one(keySql, ['AKIDBENCH']))!);
      return toBucket((await other.one(bucketSql, [t.id, 'bench']))!);
    };
  }
  const best: Record<string, number> = {};
  for (let round = 0; round < 5; round++) {
    for (const [name, fn] of Object.entries(ways)) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) await fn();
      const ns = Number(process.hrtime.bigint() - t0) / N / 2; // two lookups per call
      best[name] = Math.min(best[name] ?? Infinity, ns);
    }
  }
  for (const [name, ns] of Object.entries(best)) console.log(`${name.padEnd(7)} ${ns.toFixed(0).padStart(6)} ns/lookup  (${(ns / best.direct!).toFixed(2)}× direct)`);
  db.close();
}

main().finally(() => rmSync(dir, { recursive: true, force: true }));
