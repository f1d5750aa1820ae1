/**
 * S3 orders keys by their UTF-8 bytes. JavaScript compares strings by UTF-16 code units, which agrees
 * with UTF-8 byte order except when one side has a surrogate pair (code points above U+FFFF sort above
 * U+E000–U+FFFF in UTF-8 but below them in UTF-16). This compares the S3 way.
 */
const SURROGATE = /[\uD800-\uDFFF]/;

export function compareUtf8(a: string, b: string): number {
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
