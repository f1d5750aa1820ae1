/**
 * Listing with prefix, delimiter and a start position, as ListObjects/ListObjectsV2 define it.
 *
 * Built on the store's ordered range scan. With a delimiter, a key that falls under a common prefix ends
 * the current scan: the prefix is emitted once and the next scan seeks straight past everything under it
 * (to the prefix's successor), so listing the top-level "directories" of a bucket with millions of keys
 * reads one row per directory, not every key.
 */
import type { ListedObject, ObjectWriteRepository } from '../metadata/store.js';
import { prefixSuccessor } from '../metadata/key-range.js';
import { compareUtf8 } from '../lib/utf8.js';

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

const MAX_BATCH = 1000;
/** After a common prefix, look ahead cautiously: the next rows may all sit under another prefix. */
const FIRST_BATCH_AFTER_PREFIX = 16;

export async function listObjects(store: Pick<ObjectWriteRepository, 'scanObjects'>, bucketId: string, req: ListRequest): Promise<ListResult> {
  const entries: ListEntry[] = [];
  let last: string | undefined;
  if (req.maxKeys <= 0) return { entries, isTruncated: false, last };

  // The store starts the scan at the larger of prefix and start (metadata/key-range.ts scanRange).
  let start = req.startAfter;
  let inclusive = false;
  let batch = req.delimiter ? FIRST_BATCH_AFTER_PREFIX : Math.min(req.maxKeys + 1, MAX_BATCH);

  for (;;) {
    // Each row read becomes an entry or ends the batch (a common prefix, or the one row past maxKeys that
    // says the page is truncated), so a page never needs more rows than the entries it still lacks + 1.
    const limit = Math.min(batch, req.maxKeys - entries.length + 1);
    const rows = await store.scanObjects(bucketId, { prefix: req.prefix, start, inclusive, limit });
    let reseek = false;
    for (const o of rows) {
      if (req.delimiter) {
        const i = o.key.indexOf(req.delimiter, req.prefix.length);
        if (i >= 0) {
          const cp = o.key.slice(0, i + req.delimiter.length);
          const next = prefixSuccessor(cp);
          if (compareUtf8(cp, req.startAfter) > 0) {
            if (entries.length >= req.maxKeys) return { entries, isTruncated: true, last };
            entries.push({ kind: 'prefix', prefix: cp });
            last = cp;
          }
          if (next === undefined) return { entries, isTruncated: false, last };
          start = next;
          inclusive = true;
          batch = FIRST_BATCH_AFTER_PREFIX;
          reseek = true;
          break;
        }
      }
      if (entries.length >= req.maxKeys) return { entries, isTruncated: true, last };
      entries.push({ kind: 'object', object: o });
      last = o.key;
      start = o.key;
      inclusive = false;
    }
    if (reseek) continue;
    if (rows.length < limit) return { entries, isTruncated: false, last };
    batch = Math.min(batch * 4, MAX_BATCH);
  }
}
