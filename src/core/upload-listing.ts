/**
 * ListMultipartUploads with prefix, delimiter and the key-marker / upload-id-marker position, as AWS defines
 * it (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html), at the per-page cost of
 * the object listing (the page walk of delimited-scan.ts): a page of "directories" reads about one upload row
 * per directory, however many uploads sit under each.
 */
import { walkDelimited } from './delimited-scan.js';
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

export async function listUploads(store: Pick<ObjectWriteRepository, 'scanUploads'>, bucketId: string, req: UploadListRequest): Promise<UploadListResult> {
  type Cursor = Pick<UploadScan, 'keyMarker' | 'uploadIdMarker' | 'inclusive'>;
  const page = await walkDelimited({
    prefix: req.prefix,
    delimiter: req.delimiter,
    maxEntries: req.maxUploads,
    marker: req.keyMarker,
    start: { keyMarker: req.keyMarker, uploadIdMarker: req.uploadIdMarker } as Cursor,
    scan: (cursor, limit) => store.scanUploads(bucketId, { prefix: req.prefix, ...cursor, limit }),
    keyOf: (u) => u.key,
    after: (u) => ({ keyMarker: u.key, uploadIdMarker: u.uploadId }),
    at: (key) => ({ keyMarker: key, uploadIdMarker: '', inclusive: true }),
  });
  const entries = page.entries.map((e): UploadListEntry => (e.kind === 'row' ? { kind: 'upload', upload: e.row } : e));
  // Where the next page starts after: the last upload's key and id, or the last common prefix and ''.
  const tail = entries.at(-1);
  return {
    entries,
    isTruncated: page.isTruncated,
    nextKeyMarker: tail ? (tail.kind === 'upload' ? tail.upload.key : tail.prefix) : '',
    nextUploadIdMarker: tail?.kind === 'upload' ? tail.upload.uploadId : '',
  };
}
