/**
 * The query port's transaction on SQLite (PostgreSQL's is the write path's `tx`, run by the contract suite):
 * commit and rollback, and what happens to other callers' statements while a transaction's async body is
 * open on the one connection — they wait for it, so a rollback never takes their writes with it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { sqlitePort } from './port.js';

function open() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
  return { db, port: sqlitePort(db) };
}
const values = (db: Database.Database) => (db.prepare('SELECT v FROM t ORDER BY v').all() as { v: string }[]).map((r) => r.v);

describe('sqlitePort transaction', () => {
  it('commits what the body wrote when it resolves, and answers its value', async () => {
    const { db, port } = open();
    const n = await port.transaction(async (tx) => {
      await tx.run('INSERT INTO t (v) VALUES (?)', ['a']);
      await tx.run('INSERT INTO t (v) VALUES (?)', ['b']);
      return (await tx.one('SELECT count(*) AS n FROM t'))!.n as number;
    });
    assert.equal(n, 2);
    assert.deepEqual(values(db), ['a', 'b']);
    assert.equal(db.inTransaction, false);
    assert.equal(port.idle(), undefined);
  });

  it('rolls back everything the body wrote when it rejects, keeping a write another caller made meanwhile', async () => {
    const { db, port } = open();
    let outside: Promise<number> | undefined;
    await assert.rejects(
      port.transaction(async (tx) => {
        await tx.run('INSERT INTO t (v) VALUES (?)', ['inside']);
        // Another request's statement issued while this transaction is open on the connection.
        outside = port.run('INSERT INTO t (v) VALUES (?)', ['outside']);
        assert.ok(port.idle(), 'a transaction is open');
        await tx.run('INSERT INTO t (v) VALUES (?)', ['inside']); // primary key: fails
      }),
      /UNIQUE/,
    );
    assert.equal(await outside, 1);
    assert.deepEqual(values(db), ['outside']);
    assert.equal(db.inTransaction, false);
  });

  it('runs two transactions one after the other: the second reads what the first committed', async () => {
    const { db, port } = open();
    const order: string[] = [];
    const first = port.transaction(async (tx) => {
      order.push('first begins');
      await tx.run('INSERT INTO t (v) VALUES (?)', ['1']);
      await Promise.resolve();
      order.push('first ends');
    });
    const second = port.transaction(async (tx) => {
      order.push('second begins');
      return (await tx.all('SELECT v FROM t')).length;
    });
    await first;
    assert.equal(await second, 1);
    assert.deepEqual(order, ['first begins', 'first ends', 'second begins']);
    assert.deepEqual(values(db), ['1']);
  });

  it('a transaction begun inside one joins it (and goes with its rollback)', async () => {
    const { db, port } = open();
    await assert.rejects(
      port.transaction(async (tx) => {
        await tx.transaction(async (inner) => inner.run('INSERT INTO t (v) VALUES (?)', ['joined']));
        throw new Error('give up');
      }),
      /give up/,
    );
    assert.deepEqual(values(db), []);
  });

  it('a body that cannot begin (closed database) rejects and leaves the port usable', async () => {
    const { db, port } = open();
    db.close();
    await assert.rejects(port.transaction(async () => 1));
    assert.equal(port.idle(), undefined);
  });
});
