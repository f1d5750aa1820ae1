/**
 * Micro-benchmark: the SQLite store's object path in this build against another build's, in one process
 * (issue 19: "unversioned buckets lose nothing"). Each side opens its own store on a file database (WAL,
 * synchronous=FULL, as served) with one unversioned bucket; rounds alternate the sides (A B, B A, …) so that
 * the machine's drift hits both alike. A round on one side: 4 KiB inline PUTs at concurrency 32 (new keys,
 * then overwrites), point GETs, and ListObjects-shaped scans over 10,000 keys, 1,000 per page.
 * Figures per side: wall time and CPU time (process.cpuUsage: this thread's work, unaffected by waiting) per
 * operation, summed over the rounds, and the median of the rounds' this/other ratios.
 *
 * Run: node --import tsx bench/metadata-ab.ts <other build's dist/src/metadata/sqlite/sqlite-store.js> [rounds=6] [puts=4000]
 * (the other build: `git archive main | tar -x -C /tmp/main`, link node_modules, `npx tsc -p tsconfig.json`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqliteMetadataStore } from '../src/metadata/sqlite/sqlite-store.js';
import type { MetadataStore } from '../src/metadata/store.js';

type Open = (path: string) => Promise<MetadataStore>;
const otherPath = process.argv[2];
if (!otherPath) throw new Error('usage: metadata-ab.ts <other build sqlite-store.js> [rounds] [puts]');
const ROUNDS = Number(process.argv[3] ?? 6);
const PUTS = Number(process.argv[4] ?? 4000);
const KEYS = 10_000;
const BODY = Buffer.alloc(4096, 7);

interface Side { name: string; store: MetadataStore; bucketId: string; next: number; totals: Record<string, { wall: number; cpu: number; ops: number }>; ratios: Record<string, number[]> }

async function side(name: string, open: Open, dir: string): Promise<Side> {
  const store = await open(join(dir, `${name}.db`));
  const t = await store.createTenancy({ name: 'bench' });
  const made = await store.createBucket({ tenancyId: t.id, name: 'bench', ownerId: 'o', region: 'us-east-1' });
  if (!made.created) throw new Error('bucket');
  return { name, store, bucketId: made.bucket.id, next: 0, totals: {}, ratios: {} };
}

/** Runs `n` calls of `op` at concurrency `c`; wall and CPU microseconds per call. */
async function timed(n: number, c: number, op: (i: number) => Promise<unknown>): Promise<{ wall: number; cpu: number; ops: number }> {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: c }, async () => {
    while (next < n) await op(next++);
  }));
  const wall = (performance.now() - t0) * 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: cpu.user + cpu.system, ops: n };
}

const object = (s: Side, key: string) => ({
  bucketId: s.bucketId, key, size: BODY.length, etag: '"0123456789abcdef0123456789abcdef"', contentType: 'application/octet-stream',
  headers: { 'x-amz-meta-run': 'bench' }, inline: BODY, parts: [], checksum: null, tagging: null, ownerId: 'o', storageClass: 'STANDARD',
});

async function round(s: Side): Promise<Record<string, { wall: number; cpu: number; ops: number }>> {
  const key = (i: number) => `data/${String(i % KEYS).padStart(6, '0')}`;
  const put = await timed(PUTS, 32, async () => {
    const r = await s.store.putObject(object(s, key(s.next++)));
    if (!r.ok) throw new Error(r.reason);
  });
  const get = await timed(PUTS * 4, 32, async (i) => {
    if (!(await s.store.getObject(s.bucketId, key(i % Math.min(s.next, KEYS))))) throw new Error('missing');
  });
  const list = await timed(20, 1, async () => {
    let start = '';
    for (;;) {
      const page = await s.store.scanObjects(s.bucketId, { prefix: 'data/', start, limit: 1000 });
      if (page.length < 1000) return;
      start = page.at(-1)!.key;
    }
  });
  return { put, get, list };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'granary-metadata-ab-'));
  const other = (await import(pathToFileURL(resolve(otherPath!)).href)) as { openSqliteMetadataStore: Open };
  const sides = [await side('other', other.openSqliteMetadataStore, dir), await side('this', openSqliteMetadataStore, dir)] as const;
  try {
    // Fill both to KEYS first (not measured), so every round lists the same 10,000 keys.
    for (const s of sides) await timed(KEYS, 32, async () => void (await s.store.putObject(object(s, `data/${String(s.next++ % KEYS).padStart(6, '0')}`))));
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? sides : ([sides[1], sides[0]] as const);
      const got: Record<string, Record<string, { wall: number; cpu: number; ops: number }>> = {};
      for (const s of order) got[s.name] = await round(s);
      for (const s of sides) {
        for (const [k, v] of Object.entries(got[s.name]!)) {
          const t = (s.totals[k] ??= { wall: 0, cpu: 0, ops: 0 });
          t.wall += v.wall;
          t.cpu += v.cpu;
          t.ops += v.ops;
        }
      }
      for (const k of Object.keys(got.this!)) {
        (sides[1].ratios[`${k} cpu`] ??= []).push(got.this![k]!.cpu / got.other![k]!.cpu);
        (sides[1].ratios[`${k} wall`] ??= []).push(got.this![k]!.wall / got.other![k]!.wall);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(`metadata object path, this build / other build, ${ROUNDS} alternating rounds (SQLite file, unversioned bucket)`);
    console.log('op    per    other µs   this µs   ratio   median of rounds (rounds)');
    for (const k of ['put', 'get', 'list']) {
      for (const m of ['cpu', 'wall'] as const) {
        const o = sides[0].totals[k]!;
        const t = sides[1].totals[k]!;
        const per = (x: { wall: number; cpu: number; ops: number }) => x[m] / x.ops;
        const rs = sides[1].ratios[`${k} ${m}`]!;
        console.log(`${k.padEnd(5)} ${m.padEnd(5)} ${per(o).toFixed(1).padStart(9)} ${per(t).toFixed(1).padStart(9)} ${(per(t) / per(o)).toFixed(3).padStart(7)}   ${median(rs).toFixed(3)} (${rs.map((x) => x.toFixed(2)).join(' ')})`);
      }
    }
  } finally {
    for (const s of sides) await s.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
