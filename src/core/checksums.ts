/**
 * S3 additional integrity checksums: CRC32, CRC32C, CRC64NVME, SHA1, SHA256 — computing them while a body
 * streams, checking them against the request's header or aws-chunked trailer, and the two multipart forms
 * (COMPOSITE: checksum of the part checksums, "-N" suffix; FULL_OBJECT: CRCs combined without re-reading data).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 *
 * Speed matters here: every byte of every PUT goes through one of these next to MD5.
 * CRC32 and CRC32C use @node-rs/crc32 (SIMD; prebuilt binaries shipped as npm packages), CRC64NVME a
 * slicing-by-16 table implementation below, about 3× the pure-JS @aws-sdk/crc64-nvme (see bench/checksums.ts).
 */
import { createHash } from 'node:crypto';
import { crc32 as nodeRsCrc32, crc32c as nodeRsCrc32c } from '@node-rs/crc32';
import { S3Error } from '../errors/s3-error.js';
import type { Digester } from './objects.js';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = Object.freeze([
  'CRC32',
  'CRC32C',
  'CRC64NVME',
  'SHA1',
  'SHA256',
] as const);

/** Raw digest length in bytes of each algorithm. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

/** 'x-amz-checksum-crc32' etc.: the header (and aws-chunked trailer) that carries the value. */
export function checksumHeaderName(alg: ChecksumAlgorithm): string {
  return `x-amz-checksum-${alg.toLowerCase()}`;
}

const BY_HEADER = new Map<string, ChecksumAlgorithm>(CHECKSUM_ALGORITHMS.map((a) => [checksumHeaderName(a), a]));

/** The algorithm whose value header (or trailer) is `name` (lowercase); undefined for any other name. */
export function algorithmFromHeaderName(name: string): ChecksumAlgorithm | undefined {
  return BY_HEADER.get(name);
}

/**
 * Parses an algorithm name case-insensitively (AWS accepts `crc32` as well as `CRC32`).
 * `header` says where the value came from, for the error AWS answers: `x-amz-sdk-checksum-algorithm`
 * (PutObject, UploadPart, …) → InvalidRequest; `x-amz-checksum-algorithm` (CreateMultipartUpload) →
 * InvalidArgument.
 */
export function parseAlgorithm(
  v: string,
  header: 'x-amz-sdk-checksum-algorithm' | 'x-amz-checksum-algorithm' = 'x-amz-sdk-checksum-algorithm',
): ChecksumAlgorithm {
  const upper = v.trim().toUpperCase();
  const found = CHECKSUM_ALGORITHMS.find((a) => a === upper);
  if (found) return found;
  if (header === 'x-amz-checksum-algorithm') {
    throw new S3Error('InvalidArgument', {
      message: `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [${CHECKSUM_ALGORITHMS.join(', ')}]`,
      details: { ArgumentName: header, ArgumentValue: v },
    });
  }
  throw new S3Error('InvalidRequest', { message: `Value for ${header} header is invalid.` });
}

/** A streaming checksum. `digest()` may be called once, after the last `update()`. */
export interface ChecksumComputer {
  update(chunk: Buffer): void;
  digest(): Buffer;
}

// ---- CRC32 / CRC32C ----------------------------------------------------------------------------------

type Crc32Fn = (data: Uint8Array, value: number) => number;

// Both from @node-rs/crc32 (SIMD): measured about twice as fast as Node's zlib.crc32 for CRC32 (bench/checksums.ts).
const crc32Fn: Crc32Fn = (d, v) => nodeRsCrc32(d, v);
const crc32cFn: Crc32Fn = (d, v) => nodeRsCrc32c(d, v);

class Crc32Computer implements ChecksumComputer {
  private crc = 0;
  constructor(private readonly fn: Crc32Fn) {}
  update(chunk: Buffer): void {
    if (chunk.length > 0) this.crc = this.fn(chunk, this.crc);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(this.crc >>> 0, 0);
    return out;
  }
}

// ---- CRC64NVME -----------------------------------------------------------------------------------------

/** CRC-64/NVME: poly 0xad93d23594c93659, reflected 0x9a6c9329ac4bc9b5, init and xorout all ones. */
const CRC64NVME_POLY_REFLECTED = 0x9a6c9329ac4bc9b5n;

/**
 * Slicing-by-16 tables, kept as two 32-bit halves (JS bitwise operations are 32-bit; BigInt is far slower).
 * Table k (k = 0…15) at [k*256, k*256+256) holds the CRC of byte i followed by k zero bytes.
 */
const C64_LO = new Int32Array(16 * 256);
const C64_HI = new Int32Array(16 * 256);
{
  const POLY_LO = Number(CRC64NVME_POLY_REFLECTED & 0xffffffffn) | 0;
  const POLY_HI = Number(CRC64NVME_POLY_REFLECTED >> 32n) | 0;
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let j = 0; j < 8; j++) {
      const lsb = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi = hi >>> 1;
      if (lsb) {
        lo ^= POLY_LO;
        hi ^= POLY_HI;
      }
    }
    C64_LO[i] = lo;
    C64_HI[i] = hi;
  }
  for (let k = 1; k < 16; k++) {
    for (let i = 0; i < 256; i++) {
      const lo = C64_LO[(k - 1) * 256 + i]!;
      const hi = C64_HI[(k - 1) * 256 + i]!;
      const idx = lo & 0xff;
      C64_LO[k * 256 + i] = ((lo >>> 8) | (hi << 24)) ^ C64_LO[idx]!;
      C64_HI[k * 256 + i] = (hi >>> 8) ^ C64_HI[idx]!;
    }
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Advances the (pre-inverted) CRC-64/NVME state over `buf`; returns [lo, hi]. The bulk reads 32-bit words
 * through an Int32Array view (about twice as fast as byte loads), after a few bytes to reach 4-byte alignment.
 */
function crc64nvmeUpdate(lo: number, hi: number, buf: Uint8Array): [number, number] {
  const L = C64_LO;
  const H = C64_HI;
  const n = buf.length;
  let i = 0;
  if (LITTLE_ENDIAN && n >= 64) {
    // (Plain loops, no helper closure: captured mutable state would make V8 keep lo/hi in a context object.)
    for (const to = (4 - (buf.byteOffset & 3)) & 3; i < to; i++) {
      const idx = (lo ^ buf[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ L[idx]!;
      hi = (hi >>> 8) ^ H[idx]!;
    }
    const words = (n - i) >>> 4 << 2; // whole 16-byte blocks, in words
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    for (let j = 0; j < words; j += 4) {
      const x = lo ^ w[j]!;
      const y = hi ^ w[j + 1]!;
      const z = w[j + 2]!;
      const u = w[j + 3]!;
      const a0 = x & 0xff, a1 = (x >>> 8) & 0xff, a2 = (x >>> 16) & 0xff, a3 = x >>> 24;
      const a4 = y & 0xff, a5 = (y >>> 8) & 0xff, a6 = (y >>> 16) & 0xff, a7 = y >>> 24;
      const a8 = z & 0xff, a9 = (z >>> 8) & 0xff, a10 = (z >>> 16) & 0xff, a11 = z >>> 24;
      const a12 = u & 0xff, a13 = (u >>> 8) & 0xff, a14 = (u >>> 16) & 0xff, a15 = u >>> 24;
      lo =
        L[3840 + a0]! ^ L[3584 + a1]! ^ L[3328 + a2]! ^ L[3072 + a3]! ^
        L[2816 + a4]! ^ L[2560 + a5]! ^ L[2304 + a6]! ^ L[2048 + a7]! ^
        L[1792 + a8]! ^ L[1536 + a9]! ^ L[1280 + a10]! ^ L[1024 + a11]! ^
        L[768 + a12]! ^ L[512 + a13]! ^ L[256 + a14]! ^ L[a15]!;
      hi =
        H[3840 + a0]! ^ H[3584 + a1]! ^ H[3328 + a2]! ^ H[3072 + a3]! ^
        H[2816 + a4]! ^ H[2560 + a5]! ^ H[2304 + a6]! ^ H[2048 + a7]! ^
        H[1792 + a8]! ^ H[1536 + a9]! ^ H[1280 + a10]! ^ H[1024 + a11]! ^
        H[768 + a12]! ^ H[512 + a13]! ^ H[256 + a14]! ^ H[a15]!;
    }
    i += words * 4;
  }
  for (; i < n; i++) {
    const idx = (lo ^ buf[i]!) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ L[idx]!;
    hi = (hi >>> 8) ^ H[idx]!;
  }
  return [lo, hi];
}

class Crc64NvmeComputer implements ChecksumComputer {
  private lo = -1;
  private hi = -1;
  update(chunk: Buffer): void {
    [this.lo, this.hi] = crc64nvmeUpdate(this.lo, this.hi, chunk);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE(~this.hi >>> 0, 0);
    out.writeUInt32BE(~this.lo >>> 0, 4);
    return out;
  }
}

// ---- SHA -------------------------------------------------------------------------------------------------

class HashComputer implements ChecksumComputer {
  private readonly hash;
  constructor(name: 'sha1' | 'sha256') {
    this.hash = createHash(name);
  }
  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }
  digest(): Buffer {
    return this.hash.digest();
  }
}

export function createChecksum(alg: ChecksumAlgorithm): ChecksumComputer {
  switch (alg) {
    case 'CRC32':
      return new Crc32Computer(crc32Fn);
    case 'CRC32C':
      return new Crc32Computer(crc32cFn);
    case 'CRC64NVME':
      return new Crc64NvmeComputer();
    case 'SHA1':
      return new HashComputer('sha1');
    case 'SHA256':
      return new HashComputer('sha256');
  }
}

// ---- values ----------------------------------------------------------------------------------------------

/** True when `base64` is canonical, padded base64 of exactly the algorithm's digest length. */
export function isValidChecksumValue(alg: ChecksumAlgorithm, base64: string): boolean {
  const bytes = DIGEST_BYTES[alg];
  if (base64.length !== 4 * Math.ceil(bytes / 3)) return false;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return false;
  return Buffer.from(base64, 'base64').toString('base64') === base64;
}

function decodeChecksum(alg: ChecksumAlgorithm, base64: string): Buffer {
  if (!isValidChecksumValue(alg, base64)) {
    throw new S3Error('InvalidRequest', { message: `Value for ${checksumHeaderName(alg)} header is invalid.` });
  }
  return Buffer.from(base64, 'base64');
}

/**
 * A Digester that computes `alg`; at finish compares with expected() (resolved lazily: the value may arrive in an
 * aws-chunked trailer) and throws BadDigest ("The CRC32 you specified did not match the calculated checksum.")
 * when it differs, InvalidRequest when expected() is malformed. expected() returning undefined = nothing to
 * compare (just compute).
 */
export function checksumDigester(
  alg: ChecksumAlgorithm,
  expected: () => string | undefined,
): Digester & { value(): string } {
  const computer = createChecksum(alg);
  let result: string | undefined;
  return {
    update(chunk: Buffer): void {
      computer.update(chunk);
    },
    finish(): void {
      if (result === undefined) result = computer.digest().toString('base64');
      const want = expected();
      if (want === undefined) return;
      if (!isValidChecksumValue(alg, want)) {
        throw new S3Error('InvalidRequest', { message: `Value for ${checksumHeaderName(alg)} header is invalid.` });
      }
      if (want !== result) {
        throw new S3Error('BadDigest', { message: `The ${alg} you specified did not match the calculated checksum.` });
      }
    },
    value(): string {
      if (result === undefined) throw new Error('checksumDigester.value() called before finish()');
      return result;
    },
  };
}

// ---- multipart -------------------------------------------------------------------------------------------

/**
 * COMPOSITE multipart checksum: checksum of the concatenated raw part digests, base64, with "-N" suffix.
 * AWS allows COMPOSITE for CRC32, CRC32C, SHA1 and SHA256; CRC64NVME is FULL_OBJECT only.
 */
export function compositeChecksum(alg: ChecksumAlgorithm, partChecksumsBase64: string[]): string {
  if (alg === 'CRC64NVME') {
    throw new S3Error('InvalidRequest', {
      message: 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.',
    });
  }
  const c = createChecksum(alg);
  for (const part of partChecksumsBase64) c.update(decodeChecksum(alg, part));
  return `${c.digest().toString('base64')}-${partChecksumsBase64.length}`;
}

/**
 * CRC combination over GF(2), as zlib's crc32_combine (the multmodp/x2nmodp form of zlib ≥ 1.2.12, equivalent to
 * the older matrix-squaring form): crc(A‖B) = crc(A)·x^(8·len(B)) mod P  ⊕  crc(B). Polynomials are in the
 * reflected representation, as BigInt so one code serves 32 and 64 bits.
 */
class CrcCombiner {
  private readonly top: bigint; // x^0 in the reflected representation
  private readonly x2n: bigint[] = []; // x^(2^k) mod P

  constructor(
    private readonly width: 32 | 64,
    private readonly poly: bigint,
  ) {
    this.top = 1n << BigInt(width - 1);
    let p = this.top >> 1n; // x^1
    // 2^k bits with k up to 3 + 53 covers any byte length a JS number holds.
    for (let k = 0; k < 64; k++) {
      this.x2n.push(p);
      p = this.multmodp(p, p);
    }
  }

  /** a·b mod P. */
  private multmodp(a: bigint, b: bigint): bigint {
    let m = this.top;
    let p = 0n;
    for (;;) {
      if (a & m) {
        p ^= b;
        if ((a & (m - 1n)) === 0n) break;
      }
      m >>= 1n;
      b = b & 1n ? (b >> 1n) ^ this.poly : b >> 1n;
    }
    return p;
  }

  /** x^(n·2^k) mod P. */
  private x2nmodp(n: number, k: number): bigint {
    let p = this.top;
    while (n > 0) {
      if (n % 2 === 1) p = this.multmodp(this.x2n[k]!, p);
      n = Math.floor(n / 2);
      k++;
    }
    return p;
  }

  combine(crc1: bigint, crc2: bigint, len2: number): bigint {
    if (len2 === 0) return crc1;
    return this.multmodp(this.x2nmodp(len2, 3), crc1) ^ crc2;
  }
}

const COMBINERS = {
  CRC32: new CrcCombiner(32, 0xedb88320n),
  CRC32C: new CrcCombiner(32, 0x82f63b78n),
  CRC64NVME: new CrcCombiner(64, CRC64NVME_POLY_REFLECTED),
} as const;

/** crc(A‖B) from crc(A), crc(B) and len(B) (bytes), for finished CRC values as unsigned BigInts. */
export function crcCombine(
  alg: 'CRC32' | 'CRC32C' | 'CRC64NVME',
  crcA: bigint,
  crcB: bigint,
  lenB: number,
): bigint {
  return COMBINERS[alg].combine(crcA, crcB, lenB);
}

/**
 * FULL_OBJECT multipart checksum for CRCs: combine per-part CRCs (with part sizes) into the CRC of the whole object,
 * without re-reading data. No "-N" suffix: the result is the checksum of the whole object.
 */
export function combineFullObjectCrc(
  alg: 'CRC32' | 'CRC32C' | 'CRC64NVME',
  parts: Array<{ checksum: string; size: number }>,
): string {
  const bytes = DIGEST_BYTES[alg];
  let crc = 0n; // the CRC of the empty string, for every one of these CRCs
  for (const part of parts) {
    if (!Number.isSafeInteger(part.size) || part.size < 0) throw new RangeError(`bad part size ${part.size}`);
    const raw = decodeChecksum(alg, part.checksum);
    crc = crcCombine(alg, crc, BigInt('0x' + raw.toString('hex')), part.size);
  }
  return Buffer.from(crc.toString(16).padStart(bytes * 2, '0'), 'hex').toString('base64');
}
