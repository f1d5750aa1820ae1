/**
 * The blob store: object bytes as immutable files named by random ids.
 *
 * A write streams to a temporary file, fsyncs it, renames it into place and fsyncs the directory, so a
 * blob id that `write` returned names a complete, durable file, and a crash leaves at most a temporary
 * file (or an unreferenced blob) that `sweepTemporary`/the sweeper reclaims. Blobs are never modified.
 * Implementations: `fs/` (local or shared filesystem); all must pass `contract.ts`.
 */
import type { Readable } from 'node:stream';

export interface BlobWriteOptions {
  /**
   * Called after every byte is written and synced but before the blob becomes visible (renamed into
   * place). Throwing here (e.g. a checksum mismatch) discards the temporary file and rejects `write`
   * with that same error.
   */
  beforeCommit?: () => void | Promise<void>;
}

export interface BlobWriteResult {
  blobId: string;
  size: number;
}

export interface BlobInfo {
  blobId: string;
  /** Last modification time of the file, epoch ms. */
  mtimeMs: number;
}

export interface BlobStore {
  /**
   * Streams `source` into a new blob. If `source` errors or is destroyed before ending, the temporary
   * file is removed and the promise rejects with that error; nothing becomes visible.
   */
  write(source: Readable | AsyncIterable<Uint8Array>, options?: BlobWriteOptions): Promise<BlobWriteResult>;
  /** Reads a blob, optionally the inclusive byte range [start, end]. Errors if the blob is missing. */
  read(blobId: string, range?: { start: number; end: number }): Readable;
  /** Removes a blob; a missing blob is not an error. */
  delete(blobId: string): Promise<void>;
  /** Every committed blob, for the orphan sweep. */
  list(): AsyncIterable<BlobInfo>;
  /** Removes temporary files older than `olderThanMs` (left by crashes or aborted writes). Returns count. */
  sweepTemporary(olderThanMs: number): Promise<number>;
  close(): Promise<void>;
}
