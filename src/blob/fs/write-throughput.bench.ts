/**
 * Micro-benchmark: 64 MiB body (in-memory generator, 1 MiB chunks) through FsBlobStore.write (temp file,
 * fdatasync, rename, dir fsync) vs a plain fs.createWriteStream + fsync of the same bytes; then a full
 * streaming read of the blob vs a plain fs.createReadStream. Lives beside the store until bench/ has a
 * runner for it. Run: node --import tsx src/blob/fs/write-throughput.bench.ts [dir] [runs]
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FsBlobStore } from './fs-blob-store.js';

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const chunk = Buffer.alloc(MiB, 0x5a);

async function* body(): AsyncGenerator<Buffer> {
  for (let n = 0; n < SIZE; n += MiB) yield chunk;
}

async function plainWrite(path: string): Promise<void> {
  const ws = createWriteStream(path);
  await pipeline(Readable.from(body()), ws);
  const fh = await open(path, 'r+');
  await fh.sync();
  await fh.close();
}

async function drain(r: Readable): Promise<void> {
  for await (const _ of r) void _;
}

const rate = (ms: number): number => SIZE / MiB / (ms / 1000);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const base = await mkdtemp(join(process.argv[2] ?? tmpdir(), 'granary-bench-'));
  const runs = Number(process.argv[3] ?? 5);
  const store = await FsBlobStore.open(join(base, 'blobs'));
  const plain: number[] = [];
  const ours: number[] = [];
  const plainRead: number[] = [];
  const ourRead: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      // Alternate the two so that drift in the page cache / disk affects both equally.
      const p = join(base, `plain-${i}`);
      let t = performance.now();
      await plainWrite(p);
      plain.push(rate(performance.now() - t));

      t = performance.now();
      const { blobId } = await store.write(body());
      ours.push(rate(performance.now() - t));

      t = performance.now();
      await drain(createReadStream(p));
      plainRead.push(rate(performance.now() - t));

      t = performance.now();
      await drain(store.read(blobId));
      ourRead.push(rate(performance.now() - t));

      await unlink(p);
      await store.delete(blobId);
    }
  } finally {
    await store.close();
    await rm(base, { recursive: true, force: true });
  }
  const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(' ');
  console.log(`write plain  MiB/s: ${fmt(plain)}  median ${median(plain).toFixed(0)}`);
  console.log(`write store  MiB/s: ${fmt(ours)}  median ${median(ours).toFixed(0)}`);
  console.log(`write ratio (median): ${((median(ours) / median(plain)) * 100).toFixed(0)}%`);
  console.log(`read  plain  MiB/s: ${fmt(plainRead)}  median ${median(plainRead).toFixed(0)}`);
  console.log(`read  store  MiB/s: ${fmt(ourRead)}  median ${median(ourRead).toFixed(0)}`);
  console.log(`read  ratio (median): ${((median(ourRead) / median(plainRead)) * 100).toFixed(0)}%`);
}

await main();
