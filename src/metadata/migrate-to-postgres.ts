/**
 * `granary migrate`: copies an embedded installation's metadata (every table of `<data>/metadata.db`) into
 * an empty PostgreSQL database, in one PostgreSQL transaction, then verifies it. Blobs are not touched:
 * they stay under `<data>/blobs`, and the gateways keep using the same `--data` directory (and with it the
 * same master key, which the sealed access-key secrets need).
 *
 * Deliberate deviation from DESIGN §2 (only app.ts imports concrete stores): a migration between two
 * stores has to know both schemas. It reads SQLite tables as they are and writes PostgreSQL rows column by
 * column, converting by the target's column type (INTEGER 0/1 → BOOLEAN, JSON text → JSONB, BLOB → BYTEA),
 * so a migration added later to both dialects is copied without changes here.
 *
 * Safety: the target must be empty (apart from Granary's migrations table), and the whole copy is one
 * transaction: a failure leaves the target empty. Row counts of every table and the usage counters of
 * every tenancy and bucket are compared before COMMIT. The source is read in one read transaction (a
 * consistent snapshot); stop the embedded server first so that nothing written after the copy is lost.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openSqliteMetadataStore } from './sqlite/sqlite-store.js';
import { openPostgresMetadataStore } from './postgres/postgres-store.js';

/** Parents before children (foreign keys); tables not listed here follow in name order. */
const TABLE_ORDER = [
  'settings',
  'tenancies',
  'users',
  'groups',
  'memberships',
  'group_members',
  'access_keys',
  'buckets',
  'objects',
  'object_versions',
  'object_blobs',
  'multipart_uploads',
  'upload_parts',
  'upload_credits',
  'completed_uploads',
  'blob_deletions',
  'join_requests',
  'audit_log',
  'quota_reservations',
  'usage_samples',
  'sessions',
];
/** Bookkeeping tables each dialect keeps for itself. */
const SKIP = new Set(['schema_migrations', 'sqlite_sequence']);
/** Rows per INSERT statement at most (and fewer when rows are large). */
const MAX_PARAMS = 30_000;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

export interface MigrateResult {
  tables: Array<{ table: string; rows: number }>;
  tenancies: number;
  /** Tenancies whose recorded usage differs from a recount of their objects (already so in the source). */
  drift: string[];
}

export class MigrateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrateError';
  }
}

const q = (ident: string): string => '"' + ident.replace(/"/g, '""') + '"';

export async function migrateToPostgres(opts: { dataDir: string; url: string; log?: (line: string) => void }): Promise<MigrateResult> {
  const log = opts.log ?? (() => {});
  const file = join(opts.dataDir, 'metadata.db');
  if (!existsSync(file)) throw new MigrateError(`no embedded metadata database at ${file}`);

  // Bring both schemas to the current version (what a server start would do).
  await (await openSqliteMetadataStore(file)).close();
  await (await openPostgresMetadataStore(opts.url, { poolSize: 1 })).close();

  const src = new Database(file, { readonly: true, fileMustExist: true });
  const dst = new pg.Client({ connectionString: opts.url });
  await dst.connect();
  try {
    src.exec('BEGIN'); // one snapshot for every table (WAL: other readers/writers do not change it)
    const srcTables = (src.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
      .map((r) => r.name)
      .filter((n) => !SKIP.has(n) && !n.startsWith('sqlite_'));
    const tables = [...TABLE_ORDER.filter((t) => srcTables.includes(t)), ...srcTables.filter((t) => !TABLE_ORDER.includes(t)).sort()];

    const cols = await dst.query<{ table_name: string; column_name: string; data_type: string; column_default: string | null }>(
      `SELECT table_name, column_name, data_type, column_default FROM information_schema.columns
        WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
    );
    const dstCols = new Map<string, Map<string, { type: string; serial: boolean }>>();
    for (const c of cols.rows) {
      if (!dstCols.has(c.table_name)) dstCols.set(c.table_name, new Map());
      dstCols.get(c.table_name)!.set(c.column_name, { type: c.data_type, serial: c.column_default?.startsWith('nextval(') ?? false });
    }

    await dst.query('BEGIN');
    // Refuse a non-empty target: checked inside the transaction, with the tables locked against writers.
    for (const t of dstCols.keys()) {
      if (SKIP.has(t)) continue;
      await dst.query(`LOCK TABLE ${q(t)} IN SHARE ROW EXCLUSIVE MODE`);
      const r = await dst.query(`SELECT 1 FROM ${q(t)} LIMIT 1`);
      if (r.rowCount) throw new MigrateError(`the target database is not empty (table ${t} has rows); migrate only into an empty database`);
    }

    const result: MigrateResult = { tables: [], tenancies: 0, drift: [] };
    for (const table of tables) {
      const target = dstCols.get(table);
      if (!target) throw new MigrateError(`table ${table} exists in SQLite but not in PostgreSQL (are both at the same Granary version?)`);
      const srcColNames = (src.prepare(`PRAGMA table_info(${q(table)})`).all() as { name: string }[]).map((c) => c.name);
      const missing = srcColNames.filter((c) => !target.has(c));
      if (missing.length) throw new MigrateError(`columns ${missing.join(', ')} of ${table} have no counterpart in PostgreSQL`);
      const convert = srcColNames.map((c) => converter(target.get(c)!.type));
      const colList = srcColNames.map(q).join(', ');
      const maxRows = Math.max(1, Math.floor(MAX_PARAMS / srcColNames.length));
      let batch: unknown[][] = [];
      let batchBytes = 0;
      let rows = 0;
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const params: unknown[] = [];
        const tuples = batch.map((row) => '(' + row.map((v) => (params.push(v), `$${params.length}`)).join(', ') + ')');
        await dst.query(`INSERT INTO ${q(table)} (${colList}) VALUES ${tuples.join(', ')}`, params);
        batch = [];
        batchBytes = 0;
      };
      const stmt = src.prepare(`SELECT ${colList} FROM ${q(table)}`).raw(true);
      for (const raw of stmt.iterate() as IterableIterator<unknown[]>) {
        const row = raw.map((v, i) => convert[i]!(v));
        for (const v of row) batchBytes += typeof v === 'string' ? v.length : Buffer.isBuffer(v) ? v.length : 8;
        batch.push(row);
        rows++;
        if (batch.length >= maxRows || batchBytes >= MAX_BATCH_BYTES) await flush();
      }
      await flush();
      // Serial columns (insertion-order sequences) continue after the copied values.
      for (const [col, info] of target) {
        if (!info.serial || !srcColNames.includes(col)) continue;
        await dst.query(`SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${q(col)}) FROM ${q(table)}), 1), (SELECT count(*) > 0 FROM ${q(table)}))`, [table, col]);
      }
      const copied = Number((await dst.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(table)}`)).rows[0]!.n);
      if (copied !== rows) throw new MigrateError(`table ${table}: ${rows} rows read but ${copied} in PostgreSQL`);
      result.tables.push({ table, rows });
      log(`${table}: ${rows} rows`);
    }

    // Usage counters must arrive exactly as they were (the quota decisions depend on them).
    for (const table of ['tenancies', 'buckets']) {
      const a = src.prepare(`SELECT id, used_bytes, used_objects FROM ${table} ORDER BY id`).all() as { id: string; used_bytes: number; used_objects: number }[];
      const b = (await dst.query<{ id: string; used_bytes: number; used_objects: number }>(`SELECT id, used_bytes::float8 AS used_bytes, used_objects::float8 AS used_objects FROM ${table} ORDER BY id COLLATE "C"`)).rows;
      const key = (r: { id: string; used_bytes: number; used_objects: number }) => `${r.id}:${Number(r.used_bytes)}:${Number(r.used_objects)}`;
      const sa = new Set(a.map(key));
      const bad = b.filter((r) => !sa.has(key(r)));
      if (a.length !== b.length || bad.length) throw new MigrateError(`usage counters of ${table} differ after the copy (${bad.map((r) => r.id).join(', ')})`);
      if (table === 'tenancies') result.tenancies = a.length;
    }
    await dst.query('COMMIT');
    src.exec('COMMIT');

    // Recount as the repair command does: drift already present in the source is reported, not fixed.
    const store = await openPostgresMetadataStore(opts.url, { poolSize: 2 });
    try {
      for (const t of await store.listTenancies()) {
        const r = await store.recountUsage(t.id, false);
        if (r.counted.bytes !== r.recorded.bytes || r.counted.objects !== r.recorded.objects) result.drift.push(t.name);
      }
    } finally {
      await store.close();
    }
    return result;
  } catch (e) {
    await dst.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    if (src.inTransaction) src.exec('ROLLBACK');
    src.close();
    await dst.end().catch(() => {});
  }
}

function converter(pgType: string): (v: unknown) => unknown {
  switch (pgType) {
    case 'boolean':
      return (v) => (v === null ? null : v === 1 || v === 1n || v === true || v === '1' || v === 'true');
    case 'bytea':
      return (v) => (v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8'));
    case 'bigint':
    case 'integer':
    case 'smallint':
      return (v) => (typeof v === 'bigint' ? v.toString() : v);
    default:
      // text, jsonb (sent as its JSON text), …
      return (v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v);
  }
}
