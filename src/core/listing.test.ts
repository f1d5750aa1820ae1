/**
 * Listing semantics (prefix, any delimiter, start-after, paging, UTF-8 byte order) and the promise that a
 * delimiter listing seeks past common prefixes instead of reading every key under them. Runs on the
 * real SQLite store; a counting wrapper records how many rows the listing asked for, and on a file
 * database the pages SQLite visited are counted too (test/helpers/sqlite-pages.ts).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteMetadataStore } from '../metadata/sqlite/sqlite-store.js';
import type { MetadataStore, ObjectScan, BucketRecord } from '../metadata/store.js';
import { listObjects, type ListRequest } from './listing.js';
import { compareUtf8 } from '../lib/utf8.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { insertDirectories, pagesRead, starvePageCache } from '../../test/helpers/sqlite-pages.js';

let store: MetadataStore;
let rowsRead = 0;
let scans = 0;

/** The real store, counting what listing pulls from it. */
function counting(s: MetadataStore): MetadataStore {
  return new Proxy(s, {
    get(target, prop, receiver) {
      if (prop === 'scanObjects') {
        return async (bucketId: string, scan: ObjectScan) => {
          const rows = await target.scanObjects(bucketId, scan);
          rowsRead += rows.length;
          scans++;
          return rows;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function makeBucket(name: string): Promise<BucketRecord> {
  const t = (await store.getTenancyByName('t')) ?? (await store.createTenancy({ name: 't' }));
  const r = await store.createBucket({ tenancyId: t.id, name, ownerId: 'o', region: 'us-east-1' });
  assert.ok(r.created);
  return r.bucket;
}

async function putKeys(bucket: BucketRecord, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 500) {
    await Promise.all(
      keys.slice(i, i + 500).map((key) =>
        store.putObject({
          bucketId: bucket.id, key, size: 1, etag: '"x"', contentType: 'a/b', headers: {}, inline: Buffer.from('x'),
          parts: [], checksum: null, tagging: null, ownerId: 'o', storageClass: 'STANDARD',
        }),
      ),
    );
  }
}

/** Every page until the end, as a flat list of keys and prefixes (prefixes marked with a trailing •). */
async function listAll(s: MetadataStore, bucketId: string, req: Omit<ListRequest, 'startAfter'>): Promise<string[]> {
  const out: string[] = [];
  let startAfter = '';
  for (;;) {
    const r = await listObjects(s, bucketId, { ...req, startAfter });
    for (const e of r.entries) out.push(e.kind === 'prefix' ? e.prefix + '•' : e.object.key);
    if (!r.isTruncated) return out;
    assert.ok(r.last !== undefined);
    startAfter = r.last;
  }
}

before(async () => {
  store = await openSqliteMetadataStore(':memory:');
});
after(async () => {
  await store.close();
});

describe('listObjects', () => {
  const keys = ['a', 'a/b', 'a/c/d', 'a/c/e', 'a0', 'b--x--y', 'b--z', 'c', 'dir/ä', 'dir/z', 'dir/\uFFFD', 'dir/😀', 'z/'];

  it('lists every key in UTF-8 byte order, paging by any page size', async () => {
    const b = await makeBucket('flat');
    await putKeys(b, keys);
    const expected = [...keys].sort(compareUtf8);
    assert.deepEqual(expected.slice(-2), ['dir/😀', 'z/'], 'an astral character sorts after U+FFFD in UTF-8');
    for (const maxKeys of [1, 2, 3, 5, 1000]) {
      assert.deepEqual(await listAll(store, b.id, { prefix: '', delimiter: '', maxKeys }), expected, `maxKeys ${maxKeys}`);
    }
  });

  it('rolls keys up into common prefixes for any delimiter, each prefix once across pages', async () => {
    const b = await makeBucket('delim');
    await putKeys(b, keys);
    const slash = ['a', 'a/•', 'a0', 'b--x--y', 'b--z', 'c', 'dir/•', 'z/•'];
    for (const maxKeys of [1, 2, 3, 1000]) {
      assert.deepEqual(await listAll(store, b.id, { prefix: '', delimiter: '/', maxKeys }), slash, `maxKeys ${maxKeys}`);
    }
    assert.deepEqual(await listAll(store, b.id, { prefix: 'a/', delimiter: '/', maxKeys: 1 }), ['a/b', 'a/c/•']);
    assert.deepEqual(await listAll(store, b.id, { prefix: 'b', delimiter: '--', maxKeys: 1000 }), ['b--•']);
    assert.deepEqual(await listAll(store, b.id, { prefix: 'b--', delimiter: '--', maxKeys: 1000 }), ['b--x--•', 'b--z']);
    assert.deepEqual(await listAll(store, b.id, { prefix: 'nothing', delimiter: '/', maxKeys: 10 }), []);
  });

  it('starts after a key or after a common prefix (the V1 marker / V2 start-after rule)', async () => {
    const b = await makeBucket('after');
    await putKeys(b, keys);
    const r = await listObjects(store, b.id, { prefix: '', delimiter: '/', startAfter: 'a/', maxKeys: 1000 });
    assert.deepEqual(r.entries.map((e) => (e.kind === 'prefix' ? e.prefix + '•' : e.object.key)), ['a0', 'b--x--y', 'b--z', 'c', 'dir/•', 'z/•']);
    const r2 = await listObjects(store, b.id, { prefix: 'dir/', delimiter: '', startAfter: 'dir/z', maxKeys: 1000 });
    assert.deepEqual(r2.entries.map((e) => (e.kind === 'object' ? e.object.key : '')), ['dir/ä', 'dir/\uFFFD', 'dir/😀']);
  });

  it('seeks past each common prefix instead of reading the keys under it', async () => {
    const b = await makeBucket('wide');
    const dirs = 100;
    const perDir = 200;
    const all: string[] = [];
    for (let d = 0; d < dirs; d++) for (let k = 0; k < perDir; k++) all.push(`dir${String(d).padStart(3, '0')}/file${k}`);
    await putKeys(b, all);
    const s = counting(store);
    rowsRead = 0;
    scans = 0;
    const r = await listObjects(s, b.id, { prefix: '', delimiter: '/', startAfter: '', maxKeys: 1000 });
    assert.equal(r.entries.length, dirs);
    assert.ok(r.entries.every((e) => e.kind === 'prefix'));
    assert.equal(r.isTruncated, false);
    // One short scan per directory: far fewer rows than the 20,000 keys.
    assert.ok(rowsRead <= dirs * 20, `read ${rowsRead} rows for ${dirs} prefixes`);
    assert.ok(scans <= dirs + 2, `${scans} scans`);
  });

  it('reads at most max-keys + 1 rows for a page, with or without a delimiter', async () => {
    const b = await makeBucket('page');
    await putKeys(b, Array.from({ length: 2500 }, (_, i) => `k${String(i).padStart(5, '0')}`));
    const s = counting(store);
    for (const [maxKeys, delimiter, startAfter] of [[1000, '', ''], [1000, '/', 'k00700'], [5, '', 'k01000'], [1, '/', '']] as const) {
      rowsRead = 0;
      const r = await listObjects(s, b.id, { prefix: '', delimiter, startAfter, maxKeys });
      assert.equal(r.entries.length, maxKeys);
      assert.equal(r.isTruncated, true);
      // the one row past the page says it is truncated; a second full batch used to be read for it
      assert.ok(rowsRead <= maxKeys + 1, `${rowsRead} rows read for a page of ${maxKeys} (delimiter ${JSON.stringify(delimiter)})`);
    }
    rowsRead = 0;
    const end = await listObjects(s, b.id, { prefix: '', delimiter: '', startAfter: 'k01499', maxKeys: 1000 });
    assert.equal(end.entries.length, 1000);
    assert.equal(end.isTruncated, false, 'the last 1,000 keys exactly: not truncated');
    assert.ok(rowsRead <= 1001, `${rowsRead} rows`);
  });

  it('reads index pages per common prefix, not per key: the scan after a prefix starts at its successor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'granary-listing-'));
    const file = await openSqliteMetadataStore(join(dir, 'metadata.db'));
    try {
      const db = (file as unknown as { db: Database.Database }).db;
      const t = await file.createTenancy({ name: 't' });
      const made = await file.createBucket({ tenancyId: t.id, name: 'wide', ownerId: 'o', region: 'r' });
      assert.ok(made.created);
      const dirs = 100;
      insertDirectories(db, made.bucket.id, dirs, 300);
      starvePageCache(db);
      const list = (req: Partial<ListRequest>) => listObjects(file, made.bucket.id, { prefix: '', delimiter: '/', startAfter: '', maxKeys: 1000, ...req });
      let r = await list({});
      const root = await pagesRead(db, async () => (r = await list({})));
      assert.deepEqual(r.entries.map((e) => (e.kind === 'prefix' ? e.prefix : e.object.key)), Array.from({ length: dirs }, (_, d) => `d${String(d).padStart(2, '0')}/`));
      const oneSeek = await pagesRead(db, () => file.scanObjects(made.bucket.id, { prefix: '', start: '', limit: 16 }));
      // 337 pages here; when each scan sought by the prefix and filtered its start, 43,471 (half the index
      // once more for every directory).
      assert.ok(root <= dirs * (oneSeek + 1), `${root} pages read for ${dirs} common prefixes (one seek: ${oneSeek})`);
      // A page of common prefixes deep in the bucket costs what one at its start does.
      const first = await pagesRead(db, async () => (r = await list({ maxKeys: 10 })));
      const deep = await pagesRead(db, async () => (r = await list({ startAfter: 'd89/', maxKeys: 10 })));
      assert.deepEqual(r.entries.map((e) => (e.kind === 'prefix' ? e.prefix : '')), Array.from({ length: 10 }, (_, d) => `d${90 + d}/`));
      assert.ok(deep <= first + 4, `10 prefixes after d89/ read ${deep} pages, the first 10 ${first}`);
    } finally {
      await file.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
