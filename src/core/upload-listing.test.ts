/**
 * ListMultipartUploads listing (upload-listing.ts) on the real SQLite store: prefix, any delimiter, paging by
 * key-marker / upload-id-marker against a model of AWS's answer, and the promise that a delimiter listing
 * seeks past common prefixes instead of reading every upload under them (a counting wrapper records the
 * rows the listing pulled from the store, as listing.test.ts does for objects).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openSqliteMetadataStore } from '../metadata/sqlite/sqlite-store.js';
import type { BucketRecord, MetadataStore, MultipartUploadRecord, UploadScan } from '../metadata/store.js';
import { compareKeys } from '../metadata/key-range.js';
import { newId } from '../lib/ids.js';
import { listUploads, type UploadListRequest } from './upload-listing.js';

let store: MetadataStore;
let rowsRead = 0;
let scans = 0;

const counting: Pick<MetadataStore, 'scanUploads'> = {
  async scanUploads(bucketId: string, scan: UploadScan) {
    const rows = await store.scanUploads(bucketId, scan);
    rowsRead += rows.length;
    scans++;
    return rows;
  },
};

async function makeBucket(name: string): Promise<BucketRecord> {
  const t = (await store.getTenancyByName('t')) ?? (await store.createTenancy({ name: 't' }));
  const r = await store.createBucket({ tenancyId: t.id, name, ownerId: 'o', region: 'us-east-1' });
  assert.ok(r.created);
  return r.bucket;
}

async function createUploads(bucket: BucketRecord, keys: string[]): Promise<MultipartUploadRecord[]> {
  return Promise.all(
    keys.map((key) =>
      store.createUpload({
        uploadId: newId(), bucketId: bucket.id, key, ownerId: 'o', contentType: 'a/b', headers: {}, tagging: null,
        storageClass: 'STANDARD', checksumAlgorithm: null, checksumType: null,
      }),
    ),
  );
}

const show = (entries: Awaited<ReturnType<typeof listUploads>>['entries']) => entries.map((e) => (e.kind === 'prefix' ? `${e.prefix}•` : `${e.upload.key}#${e.upload.uploadId}`));

/** What AWS answers for the whole listing: uploads in (key bytes, initiated, id) order, grouped under common prefixes. */
function model(uploads: MultipartUploadRecord[], prefix: string, delimiter: string): string[] {
  const sorted = uploads
    .filter((u) => u.key.startsWith(prefix))
    .sort((a, b) => compareKeys(a.key, b.key) || a.initiatedAt - b.initiatedAt || (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0));
  const out: string[] = [];
  for (const u of sorted) {
    const i = delimiter ? u.key.indexOf(delimiter, prefix.length) : -1;
    const entry = i >= 0 ? `${u.key.slice(0, i + delimiter.length)}•` : `${u.key}#${u.uploadId}`;
    if (out[out.length - 1] !== entry) out.push(entry);
  }
  return out;
}

before(async () => {
  store = await openSqliteMetadataStore(':memory:');
});
after(async () => {
  await store.close();
});

describe('listUploads', () => {
  it('pages by key-marker / upload-id-marker to exactly the whole listing, for any prefix, delimiter and page size', async () => {
    const b = await makeBucket('model');
    // several uploads per key, keys whose UTF-16 and UTF-8 orders differ, delimiters inside and at the end
    const keys = ['a', 'a', 'a/1', 'a/1', 'a/2', 'a/b/c', 'a/b/d', 'ab', 'b--x--y', 'b--z', 'c/', 'dir/ä', 'dir/\uFFFD', 'dir/😀', 'dir/😀', 'z/z/z'];
    const made = await createUploads(b, keys);
    for (const prefix of ['', 'a', 'a/', 'dir/', 'none']) {
      for (const delimiter of ['', '/', '--', 'z']) {
        const want = model(made, prefix, delimiter);
        for (const maxUploads of [1, 2, 3, 1000]) {
          const got: string[] = [];
          let req: UploadListRequest = { prefix, delimiter, keyMarker: '', uploadIdMarker: '', maxUploads };
          for (let pages = 0; ; pages++) {
            assert.ok(pages <= want.length + 1, 'paging ends');
            const r = await listUploads(store, b.id, req);
            assert.ok(r.entries.length <= maxUploads);
            got.push(...show(r.entries));
            if (!r.isTruncated) break;
            req = { ...req, keyMarker: r.nextKeyMarker, uploadIdMarker: r.nextUploadIdMarker };
          }
          assert.deepEqual(got, want, `prefix ${JSON.stringify(prefix)} delimiter ${JSON.stringify(delimiter)} max ${maxUploads}`);
        }
      }
    }
  });

  it('starts after the key marker (every upload of it) without an upload-id marker, and after the marker upload with one', async () => {
    const b = await makeBucket('markers');
    const made = await createUploads(b, ['k1', 'k1', 'k1', 'k2']);
    const k1 = model(made, 'k1', '').map((e) => e.slice(e.indexOf('#') + 1));
    const afterKey = await listUploads(store, b.id, { prefix: '', delimiter: '', keyMarker: 'k1', uploadIdMarker: '', maxUploads: 10 });
    assert.deepEqual(afterKey.entries.map((e) => (e.kind === 'upload' ? e.upload.key : '')), ['k2']);
    const afterFirst = await listUploads(store, b.id, { prefix: '', delimiter: '', keyMarker: 'k1', uploadIdMarker: k1[0]!, maxUploads: 10 });
    assert.deepEqual(
      afterFirst.entries.map((e) => (e.kind === 'upload' ? e.upload.uploadId : '')),
      [k1[1], k1[2], made.find((u) => u.key === 'k2')!.uploadId],
    );
    // a common prefix given back as the key marker is not listed again
    await createUploads(b, ['p/1', 'p/2', 'q']);
    const afterPrefix = await listUploads(store, b.id, { prefix: '', delimiter: '/', keyMarker: 'p/', uploadIdMarker: '', maxUploads: 10 });
    assert.deepEqual(show(afterPrefix.entries).map((e) => e.split('#')[0]), ['q']);
  });

  it('seeks past each common prefix instead of reading the uploads under it', async () => {
    const b = await makeBucket('wide');
    const dirs = 60;
    const perDir = 50;
    const keys: string[] = [];
    for (let d = 0; d < dirs; d++) for (let k = 0; k < perDir; k++) keys.push(`dir${String(d).padStart(3, '0')}/part${k}`);
    await createUploads(b, keys);
    rowsRead = 0;
    scans = 0;
    const r = await listUploads(counting, b.id, { prefix: '', delimiter: '/', keyMarker: '', uploadIdMarker: '', maxUploads: 1000 });
    assert.equal(r.entries.length, dirs);
    assert.ok(r.entries.every((e) => e.kind === 'prefix'));
    assert.equal(r.isTruncated, false);
    // One short scan per directory: far fewer rows than the 3,000 uploads.
    assert.ok(rowsRead <= dirs * 20, `read ${rowsRead} rows for ${dirs} prefixes`);
    assert.ok(scans <= dirs + 2, `${scans} scans`);
    // A page of 10 prefixes reads about 10 directories' worth, wherever it starts.
    rowsRead = 0;
    const page = await listUploads(counting, b.id, { prefix: '', delimiter: '/', keyMarker: 'dir030/', uploadIdMarker: '', maxUploads: 10 });
    assert.deepEqual(show(page.entries)[0], 'dir031/•');
    assert.equal(page.isTruncated, true);
    assert.equal(page.nextKeyMarker, 'dir040/');
    assert.equal(page.nextUploadIdMarker, '');
    assert.ok(rowsRead <= 11 * 20, `read ${rowsRead} rows for a page of 10 prefixes`);
  });

  it('reads at most max-uploads + 1 rows for a page without a delimiter', async () => {
    const b = await makeBucket('page');
    await createUploads(b, Array.from({ length: 1200 }, (_, i) => `k${String(i).padStart(5, '0')}`));
    for (const [maxUploads, keyMarker] of [[1000, ''], [5, 'k00500'], [1, '']] as const) {
      rowsRead = 0;
      const r = await listUploads(counting, b.id, { prefix: '', delimiter: '', keyMarker, uploadIdMarker: '', maxUploads });
      assert.equal(r.entries.length, maxUploads);
      assert.equal(r.isTruncated, true);
      assert.ok(rowsRead <= maxUploads + 1, `${rowsRead} rows read for a page of ${maxUploads}`);
    }
  });
});
