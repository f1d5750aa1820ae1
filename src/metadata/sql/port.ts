/**
 * The one query layer both dialects share (issue 17): `one`/`all`/`run` over SQL written once with `?`
 * placeholders. SQLite runs it through better-sqlite3 statements prepared once per SQL text (cached);
 * PostgreSQL through `pg` after `?` → `$n` (translated once per SQL text, cached). The SQL itself must be
 * portable: `ON CONFLICT`, `RETURNING`, `CAST(? AS BIGINT)`; no `::` casts, no `INSERT OR …`, no JSON
 * operators (those stay with the dialect). Decoders read either dialect's values (0/1 or boolean, JSON text
 * or JSONB): see rows.ts.
 *
 * Chosen over Kysely as a compile-only builder (docs/architecture.md, "Query layer"): the statements are
 * fixed strings, so a builder would add a dependency and a compile step for what a cache lookup gives.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';

export type Row = Record<string, any>;

export interface SqlPort {
  /** The first row, or undefined. */
  one(sql: string, params?: readonly unknown[]): Promise<Row | undefined>;
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** better-sqlite3: one prepared statement per SQL text, kept for the life of the connection. */
export function sqlitePort(db: Database.Database): SqlPort {
  const cache = new Map<string, Database.Statement<unknown[], Row>>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql) as Database.Statement<unknown[], Row>));
    return s;
  };
  // Not `async`: a statement runs synchronously, and a settled promise costs less than an async frame
  // (this is the path of every cache miss of an S3 request's lookups). A throw still becomes a rejection.
  return {
    one(sql, params = []) {
      try {
        return Promise.resolve(stmt(sql).get(...params));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    all(sql, params = []) {
      try {
        return Promise.resolve(stmt(sql).all(...params));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    run(sql, params = []) {
      try {
        return Promise.resolve(stmt(sql).run(...params).changes);
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}

/**
 * `?` → `$1, $2, …` outside quoted strings and identifiers (the SQL is ours: no `?` operators, no
 * dollar-quoting).
 */
export function dollarParams(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/** `pg`: `query` is the store's (it refuses once the store is closed). */
export function postgresPort(query: (sql: string, params: unknown[]) => Promise<pg.QueryResult<Row>>): SqlPort {
  const cache = new Map<string, string>();
  const text = (sql: string) => {
    let t = cache.get(sql);
    if (t === undefined) cache.set(sql, (t = dollarParams(sql)));
    return t;
  };
  return {
    async one(sql, params = []) {
      return (await query(text(sql), params as unknown[])).rows[0];
    },
    async all(sql, params = []) {
      return (await query(text(sql), params as unknown[])).rows;
    },
    async run(sql, params = []) {
      return (await query(text(sql), params as unknown[])).rowCount ?? 0;
    },
  };
}
