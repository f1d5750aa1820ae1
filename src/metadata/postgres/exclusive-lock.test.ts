/** withExclusiveLock: one holder at a time across stores (gateways) on one database; released after. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type TestPostgres } from '../../../test/helpers/postgres.js';
import { openPostgresMetadataStore } from './postgres-store.js';

let pg: TestPostgres | undefined;
after(async () => pg?.stop());

test('withExclusiveLock admits one gateway at a time', async () => {
  pg = await startPostgres();
  const schema = `lock_${process.pid}`;
  const [a, b] = await Promise.all([openPostgresMetadataStore(pg.url, { schema }), openPostgresMetadataStore(pg.url, { schema })]);
  try {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = a.withExclusiveLock('granary.test', async () => {
      await held;
      return 'a';
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await b.withExclusiveLock('granary.test', async () => 'b'), { ran: false });
    release();
    assert.deepEqual(await first, { ran: true, value: 'a' });
    assert.deepEqual(await b.withExclusiveLock('granary.test', async () => 'b'), { ran: true, value: 'b' });
    // A throwing holder still releases the lock.
    await assert.rejects(a.withExclusiveLock('granary.test', async () => { throw new Error('boom'); }), /boom/);
    assert.deepEqual(await b.withExclusiveLock('granary.test', async () => 'b2'), { ran: true, value: 'b2' });
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});
