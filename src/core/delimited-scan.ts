/**
 * The page walk every S3 listing shares (ListObjects(V2), ListObjectVersions, ListMultipartUploads): rows of
 * an ordered range scan become entries until the page is full; with a delimiter, a row under a common prefix
 * ends the current scan, the prefix is emitted once, and the next scan seeks straight past everything under it
 * (to the prefix's successor), so a page costs the entries it shows (plus one row per common prefix), not the
 * rows under them. The callers differ only in their row, how a scan position is written, and their markers.
 */
import { prefixSuccessor } from '../metadata/key-range.js';
import { compareUtf8 } from '../lib/utf8.js';

export type WalkEntry<Row> = { kind: 'row'; row: Row } | { kind: 'prefix'; prefix: string };

export interface DelimitedScan<Row, Cursor> {
  prefix: string;
  /** '' = no delimiter. Any string, not just '/'. */
  delimiter: string;
  maxEntries: number;
  /** Common prefixes at or before this key were returned by an earlier page: they are only sought past. */
  marker: string;
  /** Where the first scan starts. */
  start: Cursor;
  scan(cursor: Cursor, limit: number): Promise<readonly Row[]>;
  keyOf(row: Row): string;
  /** The position just after a row. */
  after(row: Row): Cursor;
  /** The position at a key, inclusive (the successor of a common prefix). */
  at(key: string): Cursor;
}

const MAX_BATCH = 1000;
/** After a common prefix, look ahead cautiously: the next rows may all sit under another prefix. */
const FIRST_BATCH_AFTER_PREFIX = 16;

export async function walkDelimited<Row, Cursor>(s: DelimitedScan<Row, Cursor>): Promise<{ entries: WalkEntry<Row>[]; isTruncated: boolean }> {
  const entries: WalkEntry<Row>[] = [];
  if (s.maxEntries <= 0) return { entries, isTruncated: false };
  let cursor = s.start;
  let batch = s.delimiter ? FIRST_BATCH_AFTER_PREFIX : Math.min(s.maxEntries + 1, MAX_BATCH);
  for (;;) {
    // Each row read becomes an entry or ends the batch (a common prefix, or the one row past the page that
    // says it is truncated), so a page never needs more rows than the entries it still lacks + 1.
    const limit = Math.min(batch, s.maxEntries - entries.length + 1);
    const rows = await s.scan(cursor, limit);
    let reseek = false;
    for (const row of rows) {
      const key = s.keyOf(row);
      const i = s.delimiter ? key.indexOf(s.delimiter, s.prefix.length) : -1;
      if (i >= 0) {
        const cp = key.slice(0, i + s.delimiter.length);
        if (compareUtf8(cp, s.marker) > 0) {
          if (entries.length >= s.maxEntries) return { entries, isTruncated: true };
          entries.push({ kind: 'prefix', prefix: cp });
        }
        const next = prefixSuccessor(cp);
        if (next === undefined) return { entries, isTruncated: false };
        cursor = s.at(next);
        batch = FIRST_BATCH_AFTER_PREFIX;
        reseek = true;
        break;
      }
      if (entries.length >= s.maxEntries) return { entries, isTruncated: true };
      entries.push({ kind: 'row', row });
      cursor = s.after(row);
    }
    if (reseek) continue;
    if (rows.length < limit) return { entries, isTruncated: false };
    batch = Math.min(batch * 4, MAX_BATCH);
  }
}
