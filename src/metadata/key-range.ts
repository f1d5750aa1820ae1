/**
 * Key-range helpers shared by the metadata stores and core/listing.
 *
 * S3 lists keys in UTF-8 byte order, which equals Unicode code point order (UTF-8 is order-preserving
 * and prefix-free). "Keys starting with P" is therefore the half-open range [P, prefixSuccessor(P)),
 * which a B-tree answers with an index range scan, unlike LIKE/GLOB (case folding, wildcards, and no
 * byte-order guarantee).
 *
 * A scan's range has exactly one lower bound on `key`, computed here before the query (`scanRange`): given
 * two (`key >= prefix AND key > start`), SQLite seeks the index by the first and filters the second row by
 * row, so every page deep in a bucket read every key before it.
 */
import { compareUtf8 } from '../lib/utf8.js';


const MAX_CODE_POINT = 0x10ffff;

/**
 * The smallest string greater (in UTF-8 byte order) than every string starting with `prefix`, or
 * `undefined` when there is none ('' or a prefix made only of U+10FFFF): then there is no upper bound.
 *
 * Increments the last code point, skipping the surrogate range (U+D800–U+DFFF cannot appear in
 * well-formed UTF-8); a trailing U+10FFFF cannot be incremented, so it is dropped and the previous
 * code point is incremented instead.
 */
export function prefixSuccessor(prefix: string): string | undefined {
  const cps = Array.from(prefix, (ch) => ch.codePointAt(0)!);
  while (cps.length > 0) {
    const last = cps.pop()!;
    if (last >= MAX_CODE_POINT) continue;
    let next = last + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    cps.push(next);
    return String.fromCodePoint(...cps);
  }
  return undefined;
}

/** Compares two strings by their UTF-8 bytes (S3 listing order); JS `<` compares UTF-16 units instead. */
export const compareKeys: (a: string, b: string) => number = compareUtf8;

/** Where a scan of keys starting with a prefix, from a start position, begins and ends (one bound each). */
export interface KeyRange {
  /** Lower bound on `key`. */
  from: string;
  /** `key >= from` when true, `key > from` otherwise. */
  inclusive: boolean;
  /** Exclusive upper bound (`key < to`), or undefined for none. */
  to: string | undefined;
}

/**
 * The range of keys starting with `prefix` and after `start` (or at it, when `inclusive`): the lower bound
 * is the larger of the two, so the index seek lands on the first row returned. `undefined` when the range
 * is empty (the start is at or past every key with the prefix), so no query need run.
 */
export function scanRange(prefix: string, start: string, inclusive: boolean): KeyRange | undefined {
  const to = prefixSuccessor(prefix);
  // Starting before the prefix is starting at it; starting at the prefix itself keeps the start's flag.
  const range = compareKeys(start, prefix) < 0 ? { from: prefix, inclusive: true, to } : { from: start, inclusive, to };
  if (to !== undefined && compareKeys(range.from, to) >= 0) return undefined;
  return range;
}
