/**
 * A Readable of a blob's bytes [start, end] read with positioned reads from a shared descriptor
 * (open-blobs.ts), in chunks of up to the pool's buffer size. Like fs.createReadStream, but without its own
 * open()/close(); a blob missing when the stream starts makes the stream error with ENOENT.
 *
 * The first full-size chunks are buffers lent by `pool` (MAX_LENT); `recycle()` gives them back. Only a consumer that knows it
 * holds none of them any more may call it (http/send.ts, once the response has finished); a consumer that
 * never calls it simply leaves them to the garbage collector.
 */
import { read } from 'node:fs';
import { Readable } from 'node:stream';
import type { BufferPool, RecyclableBody } from '../../lib/buffer-pool.js';
import type { OpenBlob, OpenBlobs } from './open-blobs.js';

/**
 * Pooled buffers one reader may hold. They come back only when the whole response has finished, so a long
 * read (a 64 MiB GET) must not keep one per chunk alive: past these, chunks are fresh buffers the garbage
 * collector takes as soon as they are sent. A ranged 1 MiB GET, the case that gains, needs one.
 */
const MAX_LENT = 2;

export class BlobReader extends Readable implements RecyclableBody {
  private blob: OpenBlob | undefined;
  private position: number;
  private lent: Buffer[] | undefined = [];

  constructor(
    private readonly files: OpenBlobs,
    private readonly path: string,
    start: number,
    /** inclusive; start - 1 for an empty read, Infinity for up to the end of the file */
    private readonly end: number,
    private readonly pool: BufferPool,
  ) {
    // one chunk of read-ahead, as fs.createReadStream with highWaterMark = chunk size
    super({ highWaterMark: pool.bufferSize });
    this.position = start;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.files.acquire(this.path).then(
      (blob) => {
        this.blob = blob;
        callback();
      },
      (err: Error) => callback(err),
    );
  }

  override _read(): void {
    const want = Math.min(this.pool.bufferSize, this.end - this.position + 1);
    if (want <= 0) {
      this.push(null);
      return;
    }
    let buf: Buffer;
    if (want === this.pool.bufferSize && this.lent && this.lent.length < MAX_LENT) {
      buf = this.pool.take();
      this.lent.push(buf);
    } else {
      buf = Buffer.allocUnsafeSlow(want);
    }
    read(this.blob!.fd, buf, 0, want, this.position, (err, n) => {
      if (err) {
        this.destroy(err);
        return;
      }
      if (n === 0 && this.end === Infinity) {
        this.push(null); // a whole-blob read: end of file
        return;
      }
      if (n === 0) {
        // The file is shorter than the metadata says: never hand out short data silently.
        this.destroy(Object.assign(new Error(`blob ended at byte ${this.position}, before ${this.end + 1}`), { code: 'ERR_BLOB_TRUNCATED' }));
        return;
      }
      this.position += n;
      this.push(n === want ? buf : buf.subarray(0, n));
    });
  }

  recycle(): void {
    const lent = this.lent;
    this.lent = undefined; // later reads (there should be none) allocate
    for (const b of lent ?? []) this.pool.give(b);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.blob?.release();
    this.blob = undefined;
    callback(err);
  }
}
