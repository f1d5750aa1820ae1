/**
 * Hand-run micro-benchmark (not a test): durable 4 KiB-object putObject calls at a fixed concurrency
 * against a file database, to check group commit. Usage:
 *   node --import tsx src/metadata/sqlite/bench-put.ts [total=20000] [concurrency=32] [dir=/tmp]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { newId } from '../../lib/ids.js';
import { openSqliteMetadataStore } from './sqlite-store.js';

const total = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 32);
const dir = mkdtempSync(join(process.argv[4] ?? '/tmp', 'granary-bench-'));

const store = await openSqliteMetadataStore(join(dir, 'meta.db'));
const t = await store.createTenancy({ name: 'bench' });
const made = await store.createBucket({ tenancyId: t.id, name: 'bench', ownerId: 'o', region: 'r' });
if (!made.created) throw new Error('bucket exists');
const bucketId = made.bucket.id;

let next = 0;
const latencies: number[] = [];
async function worker(): Promise<void> {
  while (next < total) {
    const i = next++;
    const t0 = performance.now();
    const r = await store.putObject({
      bucketId, key: `data/${String(i % 5000).padStart(6, '0')}/${i}.bin`, size: 4096, etag: `"${newId()}"`,
      contentType: 'application/octet-stream', headers: { 'x-amz-meta-run': 'bench' }, inline: null,
      parts: [{ blobId: newId(), size: 4096 }], checksum: null, tagging: null, ownerId: 'o', storageClass: 'STANDARD',
    });
    if (!r.ok) throw new Error(r.reason);
    latencies.push(performance.now() - t0);
  }
}
const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const secs = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(2);
console.log(`${total} puts, concurrency ${concurrency}: ${(total / secs).toFixed(0)} puts/s, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);
console.log('usage', await store.getBucketUsage(bucketId));
await store.close();
rmSync(dir, { recursive: true, force: true });
