/**
 * The segment format of encrypted blobs: AES-256-GCM over fixed-size plaintext segments, so a ranged read
 * decrypts only the segments it touches and every byte handed out has been authenticated.
 *
 * Layout: the plaintext is cut into SEGMENT_BYTES segments (the last one shorter; an empty object is one
 * empty segment); each is stored as its ciphertext followed by its 16-byte GCM tag. Segment i sits at
 * i * STORED_SEGMENT_BYTES in the blob, so its position follows from the plaintext offset alone.
 *
 * - Key: a data key of 32 random bytes per blob (never reused; callers wrap it, see core/encryption.ts).
 * - Nonce: 4 zero bytes || segment index (u64 big-endian). Unique per key, since the key is per blob.
 * - AAD: FORMAT_TAG || u64 segment index || the object identity the caller names (e.g. bucket id + key), so
 *   segments cannot be reordered within a blob, nor a blob swapped in under another object's row.
 * Truncation is caught because the reader takes the segment count from the plaintext size in the metadata:
 * a missing segment is a short blob (an error), a cut segment fails its tag.
 *
 * Plaintext is released only after its segment's tag verified (GCM's update() would hand it out before),
 * so at most one segment (64 KiB) is buffered per reader; writes stream without buffering.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Readable } from 'node:stream';

/** Plaintext bytes per segment. */
export const SEGMENT_BYTES = 64 * 1024;
export const TAG_BYTES = 16;
export const STORED_SEGMENT_BYTES = SEGMENT_BYTES + TAG_BYTES;
export const DATA_KEY_BYTES = 32;
const FORMAT_TAG = Buffer.from('granary-sse-v1\0');

/** An encrypted blob could not be authenticated: corrupted, truncated, or read with the wrong key. */
export class BlobIntegrityError extends Error {
  readonly code = 'ERR_BLOB_INTEGRITY';
}

function segmentCount(plainSize: number): number {
  return Math.max(1, Math.ceil(plainSize / SEGMENT_BYTES));
}

/** Size on disk of an encrypted blob of `plainSize` plaintext bytes. */
export function encryptedSize(plainSize: number): number {
  return plainSize + segmentCount(plainSize) * TAG_BYTES;
}

function nonce(index: number): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(BigInt(index), 4);
  return n;
}

function aad(index: number, identity: Buffer): Buffer {
  const i = Buffer.alloc(8);
  i.writeBigUInt64BE(BigInt(index));
  return Buffer.concat([FORMAT_TAG, i, identity]);
}

function checkKey(key: Buffer): void {
  if (key.length !== DATA_KEY_BYTES) throw new RangeError('data key must be 32 bytes');
}

/** Encrypts a plaintext stream into the segment format, chunk by chunk (no segment is gathered first). */
export async function* encryptSegments(source: AsyncIterable<Buffer>, key: Buffer, identity: string): AsyncIterable<Buffer> {
  checkKey(key);
  const id = Buffer.from(identity);
  let index = 0;
  let filled = 0; // plaintext bytes in the current segment
  let cipher = createCipheriv('aes-256-gcm', key, nonce(0)).setAAD(aad(0, id));
  const closeSegment = (): Buffer[] => {
    const out = [cipher.final(), cipher.getAuthTag()];
    index++;
    filled = 0;
    cipher = createCipheriv('aes-256-gcm', key, nonce(index)).setAAD(aad(index, id));
    return out;
  };
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.length) {
      // A full segment is closed only when more bytes follow, so an exact multiple ends with a full segment.
      if (filled === SEGMENT_BYTES) for (const b of closeSegment()) if (b.length) yield b;
      const n = Math.min(SEGMENT_BYTES - filled, chunk.length - at);
      const ct = cipher.update(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
      filled += n;
      at += n;
      if (ct.length) yield ct;
    }
  }
  const fin = cipher.final();
  if (fin.length) yield fin;
  yield cipher.getAuthTag();
}

export interface PlainRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** Which bytes of the blob hold the segments covering plaintext [start, end]. */
export function storedRangeOf(plainSize: number, range: PlainRange): { first: number; start: number; end: number } {
  const first = Math.floor(range.start / SEGMENT_BYTES);
  const last = Math.floor(range.end / SEGMENT_BYTES);
  const start = first * STORED_SEGMENT_BYTES;
  const end = Math.min((last + 1) * STORED_SEGMENT_BYTES, encryptedSize(plainSize)) - 1;
  return { first, start, end };
}

/**
 * Plaintext [range.start, range.end] of a blob of `plainSize` plaintext bytes. `readStored(start, end)` reads
 * the inclusive stored byte range; only the segments the range touches are read and decrypted.
 */
export function decryptRange(
  readStored: (start: number, end: number) => Readable,
  key: Buffer,
  identity: string,
  plainSize: number,
  range: PlainRange,
): Readable {
  checkKey(key);
  const id = Buffer.from(identity);
  const stored = storedRangeOf(plainSize, range);
  const total = segmentCount(plainSize);
  async function* plaintext(): AsyncIterable<Buffer> {
    let index = stored.first;
    let pos = index * SEGMENT_BYTES; // plaintext offset of the current segment
    const storedLen = (i: number): number => (i < total - 1 ? STORED_SEGMENT_BYTES : plainSize - i * SEGMENT_BYTES + TAG_BYTES);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const open = (seg: Buffer): Buffer => {
      const d = createDecipheriv('aes-256-gcm', key, nonce(index)).setAAD(aad(index, id));
      d.setAuthTag(seg.subarray(seg.length - TAG_BYTES));
      try {
        const plain = d.update(seg.subarray(0, seg.length - TAG_BYTES));
        const tail = d.final(); // GCM: always empty, but it is where the tag is checked
        return tail.length ? Buffer.concat([plain, tail]) : plain;
      } catch {
        throw new BlobIntegrityError(`encrypted segment ${index} failed authentication`);
      }
    };
    const source = readStored(stored.start, stored.end);
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        let at = 0;
        while (at < chunk.length) {
          const want = storedLen(index) - pendingBytes;
          const take = Math.min(want, chunk.length - at);
          pending.push(chunk.subarray(at, at + take));
          pendingBytes += take;
          at += take;
          if (pendingBytes < storedLen(index)) continue;
          const plain = open(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
          pending = [];
          pendingBytes = 0;
          const from = Math.max(range.start - pos, 0);
          const to = Math.min(range.end - pos + 1, plain.length);
          if (to > from) yield from === 0 && to === plain.length ? plain : plain.subarray(from, to);
          index++;
          pos += SEGMENT_BYTES;
          if (pos > range.end) return;
        }
      }
    } finally {
      source.destroy();
    }
    if (pos <= range.end || pendingBytes > 0) throw new BlobIntegrityError(`encrypted blob ended inside segment ${index}`);
  }
  // 1 MiB of decrypted read-ahead, as the clear path has (blob-reader.ts), so disk, cipher and socket overlap.
  return Readable.from(plaintext(), { objectMode: false, highWaterMark: 1024 * 1024 });
}
