/**
 * Recognises "the disk is full" among the errors any layer throws (issue 15 #3), so the S3 pipeline and
 * the admin API answer InsufficientStorage (507) instead of a retryable 500: ENOSPC and EDQUOT from the
 * filesystem (blob writes, fsyncs, renames, directory creation), SQLITE_FULL from the embedded database,
 * and PostgreSQL's disk_full (SQLSTATE 53100). Shape checks only: no driver is imported.
 */
const CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100']);

export function isStorageFull(e: unknown, depth = 0): boolean {
  if (typeof e !== 'object' || e === null || depth > 4) return false;
  const { code, cause } = e as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && CODES.has(code)) return true;
  return cause !== undefined && isStorageFull(cause, depth + 1);
}
