/**
 * Listing with prefix, delimiter and a start position, as ListObjects/ListObjectsV2 define it.
 *
 * Built on the store's ordered range scan and the listings' page walk (delimited-scan.ts): listing the
 * top-level "directories" of a bucket with millions of keys reads one row per directory, not every key.
 */
import type { ListedObject, ObjectWriteRepository } from '../metadata/store.js';
import { walkDelimited } from './delimited-scan.js';

export interface ListRequest {
  prefix: string;
  /** '' = no delimiter. Any string, not just '/'. */
  delimiter: string;
  /** Exclusive start: a key or a common prefix returned earlier ('' = from the beginning). */
  startAfter: string;
  maxKeys: number;
}

export type ListEntry = { kind: 'object'; object: ListedObject } | { kind: 'prefix'; prefix: string };

export interface ListResult {
  entries: ListEntry[];
  isTruncated: boolean;
  /** The last key or common prefix returned: where the next page starts after. */
  last: string | undefined;
}

export async function listObjects(store: Pick<ObjectWriteRepository, 'scanObjects'>, bucketId: string, req: ListRequest): Promise<ListResult> {
  // The store starts the scan at the larger of prefix and start (metadata/key-range.ts scanRange).
  const page = await walkDelimited({
    prefix: req.prefix,
    delimiter: req.delimiter,
    maxEntries: req.maxKeys,
    marker: req.startAfter,
    start: { start: req.startAfter, inclusive: false },
    scan: (at: { start: string; inclusive: boolean }, limit) => store.scanObjects(bucketId, { prefix: req.prefix, ...at, limit }),
    keyOf: (o) => o.key,
    after: (o) => ({ start: o.key, inclusive: false }),
    at: (key) => ({ start: key, inclusive: true }),
  });
  const entries = page.entries.map((e): ListEntry => (e.kind === 'row' ? { kind: 'object', object: e.row } : e));
  const tail = entries.at(-1);
  return { entries, isTruncated: page.isTruncated, last: tail && (tail.kind === 'object' ? tail.object.key : tail.prefix) };
}
