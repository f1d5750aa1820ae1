/**
 * Tools for crash and shutdown tests: raw signed HTTP requests whose bodies can be throttled or stalled,
 * and an inventory of a data directory (blob files and temporaries on disk versus what metadata.db
 * references), read with the server stopped.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { signHeaders } from './sign.js';
import type { TestServer } from './server.js';

export const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RawRequest {
  method: string;
  /** Decoded path: `/bucket/key`. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** A buffer, or a stream (then `content-length` must be in headers). */
  body?: Buffer | Readable;
  /** Called with every response body chunk (for downloads that must be observed while in flight). */
  onData?: (chunk: Buffer) => void;
  /** Reads the response body at about this rate (backpressure on the server), for slow downloads. */
  readBytesPerSec?: number;
  /** Receives the client request so a test can destroy it. */
  onRequest?: (req: ReturnType<typeof request>) => void;
}

/** One SigV4-signed (UNSIGNED-PAYLOAD) request on its own connection; rejects on a socket error. */
export function signedRequest(s: TestServer, r: RawRequest): Promise<RawResponse> {
  const { target, headers } = signHeaders({
    method: r.method,
    path: r.path,
    query: r.query,
    headers: r.headers,
    host: s.endpoint,
    accessKey: s.accessKey,
    secretKey: s.secretKey,
  });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, method: r.method, path: target, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const t0 = Date.now();
      let got = 0;
      res.on('data', (c: Buffer) => {
        if (r.onData) r.onData(c);
        else chunks.push(c);
        got += c.length;
        if (r.readBytesPerSec) {
          const wait = t0 + (got / r.readBytesPerSec) * 1000 - Date.now();
          if (wait > 0) {
            res.pause();
            setTimeout(() => res.resume(), wait);
          }
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });
    req.on('error', reject);
    r.onRequest?.(req);
    if (r.body === undefined) req.end();
    else if (Buffer.isBuffer(r.body)) req.end(r.body);
    else {
      r.body.on('error', (e) => req.destroy(e));
      r.body.pipe(req);
    }
  });
}

/**
 * Streams `data` at about `bytesPerSec`, in 64 KiB chunks. `stallAfter` bytes: stop sending (never end)
 * once that many bytes went out, simulating a client that hangs mid-upload.
 */
export function throttled(data: Buffer, bytesPerSec: number, opts: { stallAfter?: number } = {}): Readable {
  const chunk = 64 * 1024;
  let off = 0;
  const start = Date.now();
  return new Readable({
    highWaterMark: chunk,
    read() {
      if (opts.stallAfter !== undefined && off >= opts.stallAfter) return; // hang: never push again
      if (off >= data.length) {
        this.push(null);
        return;
      }
      const due = start + (off / bytesPerSec) * 1000;
      const wait = Math.max(0, due - Date.now());
      setTimeout(() => {
        const end = Math.min(data.length, off + chunk, opts.stallAfter ?? Infinity);
        const piece = data.subarray(off, end);
        off = end;
        this.push(piece);
      }, wait);
    },
  });
}

export interface Inventory {
  /** Blob files under blobs/<aa>/<bb>/. */
  onDisk: Set<string>;
  /** Files under blobs/tmp/. */
  tmp: string[];
  /** Blob ids in objects.parts and object_versions.parts JSON (every version's). */
  inObjects: Set<string>;
  /** upload_parts.blob_id. */
  inParts: Set<string>;
  /** blob_deletions (queued for the sweeper). */
  queued: Set<string>;
  /** inObjects ∪ inParts. */
  referenced: Set<string>;
  /** Per bucket name: counters versus what the rows add up to. */
  usage: { bucket: string; usedBytes: number; usedObjects: number; objectBytes: number; partBytes: number; objects: number }[];
  /** object_blobs rows versus the versions' parts: [blobId, bucketId, key, versionId] present in one but not the other. */
  objectBlobsMismatch: string[];
}

/** Reads a stopped server's data directory. */
export function inventory(dataDir: string): Inventory {
  const root = join(dataDir, 'blobs');
  const onDisk = new Set<string>();
  for (const aa of readdirSync(root)) {
    if (!/^[0-9a-f]{2}$/.test(aa)) continue;
    for (const bb of readdirSync(join(root, aa))) {
      for (const name of readdirSync(join(root, aa, bb))) onDisk.add(name);
    }
  }
  const tmp = existsSync(join(root, 'tmp')) ? readdirSync(join(root, 'tmp')) : [];
  const db = new Database(join(dataDir, 'metadata.db'), { readonly: true, fileMustExist: true });
  try {
    const inObjects = new Set<string>();
    const fromParts = new Set<string>();
    const versions = db.prepare('SELECT bucket_id, key, version_id, parts FROM objects UNION ALL SELECT bucket_id, key, version_id, parts FROM object_versions').all() as { bucket_id: string; key: string; version_id: string; parts: string }[];
    for (const row of versions) {
      for (const p of JSON.parse(row.parts) as { blobId: string }[]) {
        inObjects.add(p.blobId);
        fromParts.add(`${p.blobId} ${row.bucket_id} ${row.key} ${row.version_id}`);
      }
    }
    const fromIndex = new Set((db.prepare('SELECT blob_id, bucket_id, key, version_id FROM object_blobs').all() as { blob_id: string; bucket_id: string; key: string; version_id: string }[]).map((r) => `${r.blob_id} ${r.bucket_id} ${r.key} ${r.version_id}`));
    const objectBlobsMismatch = [...[...fromParts].filter((x) => !fromIndex.has(x)).map((x) => `missing in object_blobs: ${x}`), ...[...fromIndex].filter((x) => !fromParts.has(x)).map((x) => `stale in object_blobs: ${x}`)];
    const inParts = new Set((db.prepare('SELECT blob_id FROM upload_parts').all() as { blob_id: string }[]).map((r) => r.blob_id));
    const queued = new Set((db.prepare('SELECT blob_id FROM blob_deletions').all() as { blob_id: string }[]).map((r) => r.blob_id));
    const usage = db
      .prepare(
        `SELECT b.name AS bucket, b.used_bytes AS usedBytes, b.used_objects AS usedObjects,
           (SELECT COALESCE(SUM(size), 0) FROM objects o WHERE o.bucket_id = b.id)
             + (SELECT COALESCE(SUM(CASE WHEN v.is_delete_marker = 1 THEN length(CAST(v.key AS BLOB)) ELSE v.size END), 0)
                FROM object_versions v WHERE v.bucket_id = b.id) AS objectBytes,
           (SELECT COUNT(*) FROM objects o WHERE o.bucket_id = b.id) + (SELECT COUNT(*) FROM object_versions v WHERE v.bucket_id = b.id) AS objects,
           (SELECT COALESCE(SUM(p.size), 0) FROM upload_parts p JOIN multipart_uploads u ON u.upload_id = p.upload_id WHERE u.bucket_id = b.id) AS partBytes
         FROM buckets b`,
      )
      .all() as Inventory['usage'];
    return { onDisk, tmp, inObjects, inParts, queued, referenced: new Set([...inObjects, ...inParts]), usage, objectBlobsMismatch };
  } finally {
    db.close();
  }
}

export const minus = <T>(a: Set<T>, b: Set<T>): T[] => [...a].filter((x) => !b.has(x));

/** Lists blob files and tmp files of a running server's data directory (no database access). */
export function blobFiles(dataDir: string): { onDisk: Set<string>; tmp: string[] } {
  const root = join(dataDir, 'blobs');
  const onDisk = new Set<string>();
  for (const aa of readdirSync(root)) {
    if (!/^[0-9a-f]{2}$/.test(aa)) continue;
    for (const bb of readdirSync(join(root, aa))) {
      try {
        for (const name of readdirSync(join(root, aa, bb))) onDisk.add(name);
      } catch {
        /* removed concurrently */
      }
    }
  }
  const tmp = existsSync(join(root, 'tmp')) ? readdirSync(join(root, 'tmp')) : [];
  return { onDisk, tmp };
}

/** A raw signed PUT of `data` (throttled to 12 MiB/s when `slow`: still mid-stream when a kill comes); its status. */
export async function putRaw(s: TestServer, bucket: string, key: string, data: Buffer, slow = false): Promise<number> {
  const r = await signedRequest(s, {
    method: 'PUT',
    path: `/${bucket}/${key}`,
    headers: { 'content-length': String(data.length), 'content-type': 'application/octet-stream' },
    body: slow ? throttled(data, 12 * 1024 * 1024) : data,
  });
  return r.status;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the server again on `prev`'s data directory with `prev`'s credentials. */
export async function restartServer(prev: TestServer, env: Record<string, string> = {}): Promise<TestServer> {
  const { startServer } = await import('./server.js');
  const s = await startServer({ dataDir: prev.dataDir, env: { GRANARY_ACCESS_KEY: prev.accessKey, GRANARY_SECRET_KEY: prev.secretKey, ...env } });
  return { ...s, accessKey: prev.accessKey, secretKey: prev.secretKey };
}
