/**
 * The upload scan's statements (upload-scan.ts) on SQLite: every one an index range search on
 * multipart_uploads_by_key with one lower bound on `key` (or the marker key and, when the marker upload is
 * known, its position within the key), in index order (no temporary sort), whichever branch runs (marker
 * upload known, unknown, prefix-bounded or not, inclusive start).
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import { openSqliteMetadataStore } from '../sqlite/sqlite-store.js';
import { newId } from '../../lib/ids.js';
import { sqlitePort, type SqlPort } from './port.js';
import { scanUploads } from './upload-scan.js';

it('every statement of the upload scan searches multipart_uploads_by_key with one lower bound, in index order', async () => {
  const store = await openSqliteMetadataStore(':memory:');
  const db = (store as unknown as { db: Database.Database }).db;
  try {
    const t = await store.createTenancy({ name: 't' });
    const made = await store.createBucket({ tenancyId: t.id, name: 'b', ownerId: 'o', region: 'r' });
    assert.ok(made.created);
    const b = made.bucket.id;
    const known = await store.createUpload({
      uploadId: newId(), bucketId: b, key: 'a/1', ownerId: 'o', contentType: 'x', headers: {}, tagging: null, storageClass: 'STANDARD', checksumAlgorithm: null, checksumType: null,
    });
    const port = sqlitePort(db);
    const ran: Array<{ sql: string; params: readonly unknown[] }> = [];
    const recording: SqlPort = {
      ...port,
      one: (sql, params = []) => (ran.push({ sql, params }), port.one(sql, params)),
      all: (sql, params = []) => (ran.push({ sql, params }), port.all(sql, params)),
    };
    for (const scan of [
      { prefix: '', keyMarker: '', uploadIdMarker: '' },
      { prefix: 'a/', keyMarker: '', uploadIdMarker: '' },
      { prefix: 'a/', keyMarker: 'a/1', uploadIdMarker: known.uploadId },
      { prefix: '', keyMarker: 'a/1', uploadIdMarker: 'no-such-upload' },
      { prefix: '', keyMarker: 'a0', uploadIdMarker: '', inclusive: true },
    ]) {
      await scanUploads(recording, b, { ...scan, limit: 10 });
    }
    const scans = ran.filter((r) => !r.sql.includes('WHERE upload_id = ?'));
    assert.ok(scans.length >= 6, `${scans.length} scans`);
    for (const { sql, params } of scans) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
      assert.ok(
        plan.some((d) => /^SEARCH multipart_uploads USING INDEX multipart_uploads_by_key \(bucket_id=\? AND (key=\?( AND \(initiated_at,upload_id\)>\(\?,\?\))?|key>\?( AND key<\?)?)\)$/.test(d)),
        `${sql}: ${JSON.stringify(plan)}`,
      );
      assert.ok(!plan.some((d) => /TEMP B-TREE/.test(d)), `${sql}: ${JSON.stringify(plan)}`);
    }
  } finally {
    await store.close();
  }
});
