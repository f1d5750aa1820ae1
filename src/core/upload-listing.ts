/**
 * ListMultipartUploads with prefix, delimiter and the key-marker / upload-id-marker position, as AWS defines
 * it (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html), at the per-page cost of
 * the object listing (listing.ts): a key under a common prefix ends the current scan, the prefix is emitted
 * once, and the next scan seeks straight past everything under it (to the prefix's successor), so a page of
 * "directories" reads about one upload row per directory, however many uploads sit under each.
 */
import { compareKeys, prefixSuccessor } from '../metadata/key-range.js';
import type { MultipartUploadRecord, ObjectWriteRepository, UploadScan } from '../metadata/store.js';

export interface UploadListRequest {
  prefix: string;
  /** '' = no delimiter. Any string, not just '/'. */
  delimiter: string;
  /** Start after this key (or common prefix returned earlier); '' = from the beginning. */
  keyMarker: string;
  /** With keyMarker: start after this upload of that key ('' = after every upload of the key). */
  uploadIdMarker: string;
  maxUploads: number;
}

export type UploadListEntry = { kind: 'upload'; upload: MultipartUploadRecord } | { kind: 'prefix'; prefix: string };

export interface UploadListResult {
  entries: UploadListEntry[];
  isTruncated: boolean;
  /** Where the next page starts after: the last upload's key and id, or the last common prefix and ''. */
  nextKeyMarker: string;
  nextUploadIdMarker: string;
}

const MAX_BATCH = 1000;
/** After a common prefix, look ahead cautiously: the next rows may all sit under another prefix. */
const FIRST_BATCH_AFTER_PREFIX = 16;

export async function listUploads(store: Pick<ObjectWriteRepository, 'scanUploads'>, bucketId: string, req: UploadListRequest): Promise<UploadListResult> {
  const entries: UploadListEntry[] = [];
  let nextKeyMarker = '';
  let nextUploadIdMarker = '';
  const result = (isTruncated: boolean): UploadListResult => ({ entries, isTruncated, nextKeyMarker, nextUploadIdMarker });
  if (req.maxUploads <= 0) return result(false);

  let cursor: Pick<UploadScan, 'keyMarker' | 'uploadIdMarker' | 'inclusive'> = { keyMarker: req.keyMarker, uploadIdMarker: req.uploadIdMarker };
  let batch = req.delimiter ? FIRST_BATCH_AFTER_PREFIX : Math.min(req.maxUploads + 1, MAX_BATCH);
  for (;;) {
    // Each row read becomes an entry or ends the batch (a common prefix, or the one row past maxUploads that
    // says the page is truncated), so a page never needs more rows than the entries it still lacks + 1.
    const limit = Math.min(batch, req.maxUploads - entries.length + 1);
    const rows = await store.scanUploads(bucketId, { prefix: req.prefix, ...cursor, limit });
    let reseek = false;
    for (const u of rows) {
      if (req.delimiter) {
        const i = u.key.indexOf(req.delimiter, req.prefix.length);
        if (i >= 0) {
          const cp = u.key.slice(0, i + req.delimiter.length);
          // A prefix at or before the key marker was returned by an earlier page: only seek past it.
          if (compareKeys(cp, req.keyMarker) > 0) {
            if (entries.length >= req.maxUploads) return result(true);
            entries.push({ kind: 'prefix', prefix: cp });
            nextKeyMarker = cp;
            nextUploadIdMarker = '';
          }
          const next = prefixSuccessor(cp);
          if (next === undefined) return result(false);
          cursor = { keyMarker: next, uploadIdMarker: '', inclusive: true };
          batch = FIRST_BATCH_AFTER_PREFIX;
          reseek = true;
          break;
        }
      }
      if (entries.length >= req.maxUploads) return result(true);
      entries.push({ kind: 'upload', upload: u });
      nextKeyMarker = u.key;
      nextUploadIdMarker = u.uploadId;
      cursor = { keyMarker: u.key, uploadIdMarker: u.uploadId };
    }
    if (reseek) continue;
    if (rows.length < limit) return result(false);
    batch = Math.min(batch * 4, MAX_BATCH);
  }
}
