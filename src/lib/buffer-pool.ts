/**
 * Reusable fixed-size buffers: file reads on the GET path (blob-reader.ts) and the slabs the MD5 worker
 * reads (hash-offload.ts).
 *
 * Why: a fresh 1 MiB buffer per read is fresh memory: the kernel maps and faults in its pages on the read and
 * unmaps them after garbage collection, and on a virtual machine that costs as much as the copy itself. Reusing
 * buffers made ranged 1 MiB GETs 10–25 % faster here. A buffer may go back to the pool only when nothing
 * references it any more (for a GET: the response has finished, every byte is in the kernel).
 */
export class BufferPool {
  private readonly idle: Buffer[] = [];
  /** Buffers this pool has allocated so far (reuse keeps it flat). */
  allocated = 0;

  constructor(
    readonly bufferSize: number,
    /** idle buffers kept at most; more are left to the garbage collector */
    private readonly maxIdle: number,
  ) {}

  /** A buffer of `bufferSize` bytes with an ArrayBuffer of its own (never a slice of Node's shared pool). */
  take(): Buffer {
    const b = this.idle.pop();
    if (b) return b;
    this.allocated++;
    return Buffer.allocUnsafeSlow(this.bufferSize);
  }

  get idleCount(): number {
    return this.idle.length;
  }

  give(buffer: Buffer): void {
    if (buffer.length === this.bufferSize && this.idle.length < this.maxIdle) this.idle.push(buffer);
  }
}

/** A body whose chunks may be reused once the consumer is finished with every one of them. */
export interface RecyclableBody {
  /** The consumer holds no chunk of this body any more: its buffers may be reused. Call at most once. */
  recycle(): void;
}

export function isRecyclable(body: unknown): body is RecyclableBody {
  return typeof body === 'object' && body !== null && typeof (body as Partial<RecyclableBody>).recycle === 'function';
}
