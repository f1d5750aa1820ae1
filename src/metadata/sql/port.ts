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
  /**
   * Runs `fn` in one transaction, its statements through the port it is handed: committed when `fn`
   * resolves, rolled back when it rejects. SQLite: `BEGIN IMMEDIATE` (the write lock, so what `fn` reads
   * cannot change under it); PostgreSQL: one pooled client, BEGIN/COMMIT at READ COMMITTED, the whole `fn`
   * run again on a serialization failure or deadlock — so `fn` must depend only on what it reads inside,
   * and may await nothing but the port it is given. A transaction begun inside one joins it.
   */
  transaction<T>(fn: (tx: SqlPort) => Promise<T>): Promise<T>;
  /** Appended to a SELECT that must lock its rows until the transaction ends: ` FOR UPDATE`, or '' (SQLite's write lock covers it). */
  readonly forUpdate: string;
}

/** The SQLite port, which also says whether a transaction is open (writers outside the port wait for it). */
export interface SqlitePort extends SqlPort {
  /** Settles when the open transaction ends; undefined when none is open. */
  idle(): Promise<void> | undefined;
}

/**
 * better-sqlite3: one prepared statement per SQL text, kept for the life of the connection.
 *
 * A transaction's body is async, so other callers' statements could otherwise run between its statements on
 * the one connection (and be rolled back with it): while one is open, statements through this port wait for
 * it to end, and so do the store's own writers outside the port (`idle()`); the group commit does not start
 * a batch inside it.
 */
export function sqlitePort(db: Database.Database): SqlitePort {
  const cache = new Map<string, Database.Statement<unknown[], Row>>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql) as Database.Statement<unknown[], Row>));
    return s;
  };
  // Not `async`: a statement runs synchronously, and a settled promise costs less than an async frame
  // (this is the path of every cache miss of an S3 request's lookups). A throw still becomes a rejection.
  const now = {
    one(sql: string, params: readonly unknown[] = []): Promise<Row | undefined> {
      try {
        return Promise.resolve(stmt(sql).get(...params));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    all(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      try {
        return Promise.resolve(stmt(sql).all(...params));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    run(sql: string, params: readonly unknown[] = []): Promise<number> {
      try {
        return Promise.resolve(stmt(sql).run(...params).changes);
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
  let open: Promise<void> | undefined;
  const inside: SqlPort = { ...now, transaction: (fn) => fn(inside), forUpdate: '' };
  // The checks of `open` are inline: this is the hot path, and nearly always no transaction is open.
  const port: SqlitePort = {
    one(sql, params = []) {
      if (open) return open.then(() => port.one(sql, params));
      try {
        return Promise.resolve(stmt(sql).get(...params));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    all(sql, params = []) {
      return open ? open.then(() => port.all(sql, params)) : now.all(sql, params);
    },
    run(sql, params = []) {
      return open ? open.then(() => port.run(sql, params)) : now.run(sql, params);
    },
    async transaction<T>(fn: (tx: SqlPort) => Promise<T>): Promise<T> {
      while (open) await open;
      let end!: () => void;
      open = new Promise<void>((resolve) => (end = resolve));
      try {
        stmt('BEGIN IMMEDIATE').run();
        try {
          const value = await fn(inside);
          stmt('COMMIT').run();
          return value;
        } catch (e) {
          if (db.inTransaction) stmt('ROLLBACK').run();
          throw e;
        }
      } finally {
        open = undefined;
        end();
      }
    },
    forUpdate: '',
    idle: () => open,
  };
  return port;
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

type PgQuery = (sql: string, params: unknown[]) => Promise<pg.QueryResult<Row>>;

/**
 * `pg`: `query` is the store's (it refuses once the store is closed); `transaction` is the store's too
 * (one client, BEGIN/COMMIT, retries of 40001 and deadlocks: postgres/write-path.ts `tx`), handing the
 * body that client's query.
 */
export function postgresPort(query: PgQuery, transaction: <T>(fn: (query: PgQuery) => Promise<T>) => Promise<T>): SqlPort {
  const cache = new Map<string, string>();
  const text = (sql: string) => {
    let t = cache.get(sql);
    if (t === undefined) cache.set(sql, (t = dollarParams(sql)));
    return t;
  };
  const over = (q: PgQuery, inTransaction: boolean): SqlPort => {
    const port: SqlPort = {
      async one(sql, params = []) {
        return (await q(text(sql), params as unknown[])).rows[0];
      },
      async all(sql, params = []) {
        return (await q(text(sql), params as unknown[])).rows;
      },
      async run(sql, params = []) {
        return (await q(text(sql), params as unknown[])).rowCount ?? 0;
      },
      transaction: (fn) => (inTransaction ? fn(port) : transaction((client) => fn(over(client, true)))),
      forUpdate: ' FOR UPDATE',
    };
    return port;
  };
  return over(query, false);
}
