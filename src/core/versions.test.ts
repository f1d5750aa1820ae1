/**
 * ListObjectVersions over the real SQLite store (prefix, any delimiter, key-marker / version-id-marker paging,
 * newest first, IsLatest) and the promise that a page costs what it shows: a counting wrapper records the rows
 * the listing asked for, and on a file database the pages SQLite visited (test/helpers/sqlite-pages.ts). Plus
 * the Versions service's S3 answers (state changes, a marker by id, a key whose latest version is a marker).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openSqliteMetadataStore, type SqliteMetadataStore } from '../metadata/sqlite/sqlite-store.js';
import type { BucketRecord, ListedVersion, MetadataStore, VersionScan } from '../metadata/store.js';
import { compareUtf8 } from '../lib/utf8.js';
import { S3Error } from '../errors/s3-error.js';
import { insertDirectories, pagesRead, starvePageCache } from '../../test/helpers/sqlite-pages.js';
import { listObjectVersions, Versions, type ListVersionsRequest } from './versions.js';

let store: SqliteMetadataStore;
let rowsRead = 0;
let scans = 0;

const counting = (s: MetadataStore) => ({
  scanObjectVersions: async (bucketId: string, scan: VersionScan) => {
    const rows = await s.scanObjectVersions(bucketId, scan);
    rowsRead += rows.length;
    scans++;
    return rows;
  },
});

async function makeBucket(name: string): Promise<BucketRecord> {
  const t = (await store.getTenancyByName('t')) ?? (await store.createTenancy({ name: 't' }));
  const r = await store.createBucket({ tenancyId: t.id, name, ownerId: 'o', region: 'us-east-1' });
  assert.ok(r.created);
  return r.bucket;
}

/** `versions` versions of each key, written through the store as an Enabled bucket writes them. */
async function putVersions(bucket: BucketRecord, keys: string[], versions: number): Promise<void> {
  const writes = keys.flatMap((key) => Array.from({ length: versions }, () => key));
  for (let i = 0; i < writes.length; i += 500) {
    await Promise.all(
      writes.slice(i, i + 500).map((key) =>
        store.putObject({
          bucketId: bucket.id, key, size: 1, etag: '"x"', contentType: 'a/b', headers: {}, inline: Buffer.from('x'),
          parts: [], checksum: null, tagging: null, ownerId: 'o', storageClass: 'STANDARD', versioning: 'Enabled',
        }),
      ),
    );
  }
}

const show = (e: { kind: 'version'; version: ListedVersion } | { kind: 'prefix'; prefix: string }) =>
  e.kind === 'prefix' ? `${e.prefix}•` : `${e.version.key}${e.version.isLatest ? '*' : ''}`;

/** Every page until the end, following NextKeyMarker / NextVersionIdMarker. */
async function listAll(bucketId: string, req: Omit<ListVersionsRequest, 'keyMarker' | 'versionIdMarker'>): Promise<{ shown: string[]; ids: string[] }> {
  const shown: string[] = [];
  const ids: string[] = [];
  let keyMarker = '';
  let versionIdMarker = '';
  for (;;) {
    const r = await listObjectVersions(store, bucketId, { ...req, keyMarker, versionIdMarker });
    assert.ok(r.entries.length <= req.maxKeys);
    for (const e of r.entries) {
      shown.push(show(e));
      if (e.kind === 'version') ids.push(e.version.versionId);
    }
    if (!r.isTruncated) return { shown, ids };
    assert.ok(r.nextKeyMarker !== undefined);
    keyMarker = r.nextKeyMarker;
    versionIdMarker = r.nextVersionIdMarker ?? '';
  }
}

before(async () => {
  store = await openSqliteMetadataStore(':memory:');
});
after(async () => {
  await store.close();
});

describe('listObjectVersions', () => {
  const keys = ['a', 'a/b', 'a/c/d', 'a0', 'b--x--y', 'b--z', 'dir/ä', 'dir/\uFFFD', 'dir/😀', 'z/'];

  it('lists every version, keys in UTF-8 order and newest first, for any page size', async () => {
    const b = await makeBucket('flat');
    await putVersions(b, keys, 3);
    const expected = [...keys].sort(compareUtf8).flatMap((k) => [`${k}*`, k, k]);
    const one = await listAll(b.id, { prefix: '', delimiter: '', maxKeys: 1000 });
    assert.deepEqual(one.shown, expected);
    for (const maxKeys of [1, 2, 3, 4, 7]) {
      const paged = await listAll(b.id, { prefix: '', delimiter: '', maxKeys });
      assert.deepEqual(paged, one, `maxKeys ${maxKeys}`);
    }
    assert.equal(new Set(one.ids).size, keys.length * 3);
  });

  it('rolls versions up into common prefixes for any delimiter, each prefix once across pages', async () => {
    const b = await makeBucket('delim');
    await putVersions(b, keys, 2);
    const slash = ['a*', 'a', 'a/•', 'a0*', 'a0', 'b--x--y*', 'b--x--y', 'b--z*', 'b--z', 'dir/•', 'z/•'];
    for (const maxKeys of [1, 2, 3, 1000]) {
      assert.deepEqual((await listAll(b.id, { prefix: '', delimiter: '/', maxKeys })).shown, slash, `maxKeys ${maxKeys}`);
    }
    assert.deepEqual((await listAll(b.id, { prefix: 'a/', delimiter: '/', maxKeys: 1 })).shown, ['a/b*', 'a/b', 'a/c/•']);
    assert.deepEqual((await listAll(b.id, { prefix: 'b', delimiter: '--', maxKeys: 1000 })).shown, ['b--•']);
    assert.deepEqual((await listAll(b.id, { prefix: 'nothing', delimiter: '/', maxKeys: 10 })).shown, []);
  });

  it('shows delete markers as the latest version of their key', async () => {
    const b = await makeBucket('markers');
    await putVersions(b, ['k'], 2);
    const del = await store.deleteObject(b.id, 'k', undefined, { versioning: 'Enabled', ownerId: 'o' });
    assert.ok(del.ok && del.marker);
    const r = await listObjectVersions(store, b.id, { prefix: '', delimiter: '', keyMarker: '', versionIdMarker: '', maxKeys: 10 });
    assert.deepEqual(r.entries.map((e) => (e.kind === 'version' ? [e.version.isDeleteMarker, e.version.isLatest] : [])), [[true, true], [false, false], [false, false]]);
  });

  it('seeks past each common prefix instead of reading the versions under it', async () => {
    const b = await makeBucket('wide');
    const dirs = 100;
    const all: string[] = [];
    for (let d = 0; d < dirs; d++) for (let k = 0; k < 20; k++) all.push(`dir${String(d).padStart(3, '0')}/file${k}`);
    await putVersions(b, all, 3);
    rowsRead = 0;
    scans = 0;
    const r = await listObjectVersions(counting(store), b.id, { prefix: '', delimiter: '/', keyMarker: '', versionIdMarker: '', maxKeys: 1000 });
    assert.equal(r.entries.length, dirs);
    assert.ok(r.entries.every((e) => e.kind === 'prefix'));
    assert.ok(rowsRead <= dirs * 20, `read ${rowsRead} rows for ${dirs} prefixes of 60 versions each`);
    assert.ok(scans <= dirs + 2, `${scans} scans`);
    // a page of versions reads at most max-keys + 1 rows, wherever it starts
    for (const [maxKeys, keyMarker] of [[1000, ''], [5, 'dir050/file3'], [1, '']] as const) {
      rowsRead = 0;
      const p = await listObjectVersions(counting(store), b.id, { prefix: '', delimiter: '', keyMarker, versionIdMarker: '', maxKeys });
      assert.equal(p.entries.length, maxKeys);
      assert.equal(p.isTruncated, true);
      assert.ok(rowsRead <= maxKeys + 1, `${rowsRead} rows read for a page of ${maxKeys}`);
    }
  });

  it('reads as many database pages for a page deep in the bucket as for one at its start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'granary-versions-'));
    const file = await openSqliteMetadataStore(join(dir, 'metadata.db'));
    try {
      const db = (file as unknown as { db: Database.Database }).db;
      const t = await file.createTenancy({ name: 't' });
      const made = await file.createBucket({ tenancyId: t.id, name: 'wide', ownerId: 'o', region: 'r' });
      assert.ok(made.created);
      const bucketId = made.bucket.id;
      const DIRS = 100;
      const PER_DIR = 100;
      // 10,000 current rows and 3 noncurrent versions of each (40,000 versions), written straight into the tables.
      insertDirectories(db, bucketId, DIRS, PER_DIR);
      db.prepare(`INSERT INTO object_versions (bucket_id, key, seq, version_id, size, etag, last_modified, content_type, headers, parts, owner_id, storage_class)
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        SELECT ?, printf('d%02d/k%05d', (i / 3) / ?, (i / 3) % ?), i + 1, printf('%011d', i + 1), 0, '"d41d8cd98f00b204e9800998ecf8427e"', 0, 'x', '{}', '[]', 'o', 'STANDARD'
        FROM n`).run(DIRS * PER_DIR * 3, bucketId, PER_DIR, PER_DIR);
      starvePageCache(db);
      const page = (keyMarker: string, delimiter = '') => listObjectVersions(file, bucketId, { prefix: '', delimiter, keyMarker, versionIdMarker: '', maxKeys: 16 });
      let r = await page('');
      const atStart = await pagesRead(db, async () => (r = await page('')));
      assert.equal(r.entries.length, 16);
      for (const marker of ['d10/', 'd50/k00050', 'd90/k00099']) {
        const n = await pagesRead(db, async () => (r = await page(marker)));
        assert.equal(r.entries.length, 16);
        assert.ok(compareUtf8((r.entries[0] as { version: ListedVersion }).version.key, marker) > 0);
        assert.ok(n <= atStart + 4, `a page after ${marker} read ${n} pages, one at the start ${atStart}`);
      }
      // common prefixes: one seek each, a page of them deep in the bucket as cheap as at its start
      const first = await pagesRead(db, async () => (r = await page('', '/')));
      const deep = await pagesRead(db, async () => (r = await page('d79/', '/')));
      assert.deepEqual(r.entries.map((e) => (e.kind === 'prefix' ? e.prefix : '')), Array.from({ length: 16 }, (_, d) => `d${80 + d}/`));
      // (a page or so of slack per seek: the B-tree paths differ a little; reading the versions under the
      // prefixes would cost hundreds of pages more)
      assert.ok(deep <= first + 16, `16 prefixes after d79/ read ${deep} pages, the first 16 ${first}`);
      assert.ok(first <= 16 * (atStart + 2), `16 prefixes read ${first} pages, one page of versions ${atStart}`);
    } finally {
      await file.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Versions (S3 answers)', () => {
  it('changes state Enabled ↔ Suspended and refuses anything else', async () => {
    const b = await makeBucket('state');
    const v = new Versions(store);
    assert.equal(await v.setState(b, 'Enabled'), 'Enabled');
    assert.equal((await store.getBucketById(b.id))?.versioning, 'Enabled');
    await assert.rejects(v.setState(b, 'Disabled'), (e: unknown) => e instanceof S3Error && e.code === 'MalformedXML');
    await v.setState(b, 'Suspended');
    assert.equal((await store.getBucketById(b.id))?.versioning, 'Suspended');
  });

  it('answers a marker by id with 405 and a key whose latest version is a marker with NoSuchKey and x-amz-delete-marker', async () => {
    const made = await makeBucket('answers');
    const v = new Versions(store);
    await v.setState(made, 'Enabled');
    const b = (await store.getBucketById(made.id))!;
    await putVersions(b, ['k'], 1);
    const del = await store.deleteObject(b.id, 'k', undefined, { versioning: 'Enabled', ownerId: 'o' });
    assert.ok(del.ok && del.marker);
    await assert.rejects(v.get(b, 'k', del.marker.versionId), (e: unknown) =>
      e instanceof S3Error && e.status === 405 && e.code === 'MethodNotAllowed' && e.headers['x-amz-delete-marker'] === 'true');
    await assert.rejects(v.get(b, 'k', 'no-such-version'), (e: unknown) => e instanceof S3Error && e.code === 'NoSuchVersion');
    const missing = await v.missing(b, 'k');
    assert.equal(missing.code, 'NoSuchKey');
    assert.equal(missing.headers['x-amz-delete-marker'], 'true');
    assert.equal(missing.headers['x-amz-version-id'], del.marker.versionId);
    assert.deepEqual((await v.missing(b, 'never')).headers, {});
    await assert.rejects(v.setTagging(b, 'k', del.marker.versionId, 'a=1'), (e: unknown) => e instanceof S3Error && e.status === 405);
    await assert.rejects(
      v.list(b, { prefix: '', delimiter: '', keyMarker: '', versionIdMarker: 'x', maxKeys: 10 }),
      (e: unknown) => e instanceof S3Error && e.code === 'InvalidArgument',
    );
  });
});
