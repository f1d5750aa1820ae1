/**
 * Throughput of the S3 integrity checksums (src/core/checksums.ts), with MD5 alongside since every PUT computes
 * MD5 for the ETag anyway. 64 MiB of random data fed in 1 MiB chunks, best of a few rounds, MiB/s.
 * Also measures the candidates that were not chosen, when they are installed, to keep the choice honest.
 *
 * Run: node --import tsx bench/checksums.ts
 */
import { createHash, randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { CHECKSUM_ALGORITHMS, createChecksum } from '../src/core/checksums.js';

const TOTAL = 64 * 1024 * 1024;
const CHUNK = 1024 * 1024;
const ROUNDS = 3;

const chunks: Buffer[] = [];
for (let off = 0; off < TOTAL; off += CHUNK) chunks.push(randomBytes(CHUNK));

function measure(name: string, make: () => { update(b: Buffer): void; finish(): unknown }): void {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const h = make();
    const t0 = process.hrtime.bigint();
    for (const c of chunks) h.update(c);
    h.finish();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.min(best, dt);
  }
  const mibs = TOTAL / (1024 * 1024) / best;
  console.log(`${name.padEnd(34)} ${mibs.toFixed(0).padStart(7)} MiB/s`);
}

measure('MD5 (node:crypto)', () => {
  const h = createHash('md5');
  return { update: (b) => h.update(b), finish: () => h.digest() };
});
for (const alg of CHECKSUM_ALGORITHMS) {
  measure(`${alg} (granary)`, () => {
    const c = createChecksum(alg);
    return { update: (b) => c.update(b), finish: () => c.digest() };
  });
}

// ---- candidates, for comparison ----
interface AsyncHash {
  update(b: Uint8Array): void;
  digest(): Promise<Uint8Array>;
}
async function optional<T>(specifier: string): Promise<T | undefined> {
  try {
    return (await import(specifier)) as T;
  } catch {
    return undefined;
  }
}

const zlibCrc32 = (zlib as unknown as { crc32?: (d: Uint8Array, v: number) => number }).crc32;
if (zlibCrc32) {
  measure('CRC32 (zlib.crc32)', () => {
    let v = 0;
    return { update: (b) => (v = zlibCrc32(b, v)), finish: () => v };
  });
}
const nodeRs = await optional<{ crc32: (d: Uint8Array, v?: number) => number; crc32c: (d: Uint8Array, v?: number) => number }>(
  '@node-rs/crc32',
);
if (nodeRs) {
  measure('CRC32 (@node-rs/crc32)', () => {
    let v = 0;
    return { update: (b) => (v = nodeRs.crc32(b, v)), finish: () => v };
  });
  measure('CRC32C (@node-rs/crc32)', () => {
    let v = 0;
    return { update: (b) => (v = nodeRs.crc32c(b, v)), finish: () => v };
  });
}
for (const [label, spec, exportName] of [
  ['CRC64NVME (@aws-sdk/crc64-nvme)', '@aws-sdk/crc64-nvme', 'Crc64Nvme'],
  ['CRC32C (@aws-sdk/checksums, JS)', '@aws-sdk/checksums/crc', 'Crc32cJs'],
] as const) {
  const mod = await optional<Record<string, new () => AsyncHash>>(spec);
  const Ctor = mod?.[exportName];
  if (!Ctor) continue;
  measure(label, () => {
    const h = new Ctor();
    return { update: (b) => h.update(b), finish: () => h.digest() };
  });
}
