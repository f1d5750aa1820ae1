/** The usage sampler: a sample per tenancy right after start, rounded to the interval; stop ends the timer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteMetadataStore } from '../metadata/sqlite/sqlite-store.js';
import { UsageSampler } from './usage-sampler.js';

test('usage sampler: samples every tenancy at start, rounds times to the interval, upserts within one', async () => {
  const metadata = await openSqliteMetadataStore(':memory:');
  try {
    const a = await metadata.createTenancy({ name: 'a' });
    const b = await metadata.createTenancy({ name: 'b' });
    let now = 10_500;
    const sampler = new UsageSampler(metadata, { intervalMs: 1000, now: () => now });
    sampler.start();
    await sampler.idle(); // the sample taken at start
    await sampler.stop();
    assert.deepEqual(await metadata.listUsageSamples(a.id, 0, 10), [{ at: 10_000, bytes: 0, objects: 0 }]);
    assert.deepEqual(await metadata.listUsageSamples(b.id, 0, 10), [{ at: 10_000, bytes: 0, objects: 0 }]);
    now = 10_900; // a second gateway in the same interval writes the same row
    assert.equal(await new UsageSampler(metadata, { intervalMs: 1000, now: () => now }).sampleOnce(), 2);
    now = 12_100;
    await new UsageSampler(metadata, { intervalMs: 1000, now: () => now }).sampleOnce();
    assert.deepEqual((await metadata.listUsageSamples(a.id, 0, 10)).map((s) => s.at), [10_000, 12_000]);
  } finally {
    await metadata.close();
  }
});
