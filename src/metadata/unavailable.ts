/**
 * Recognises "the metadata store cannot be reached right now" among the errors a store throws, so the
 * S3 pipeline and the admin API can answer 503 (retry later) instead of 500. Pure shape checks: no
 * import of a concrete driver, so `s3/` and `admin/` stay independent of which store app.ts built.
 *
 * Covered: connection refused/reset/timed out (Node socket codes), node-postgres' "Connection
 * terminated…" and pool "timeout exceeded when trying to connect", and PostgreSQL SQLSTATE classes 08
 * (connection exception) and 57P01–57P03 (admin/crash shutdown, cannot connect now: the server is
 * stopping or starting).
 */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const PG_CODES = new Set(['57P01', '57P02', '57P03']);
const MESSAGES = [/^Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i, /connection terminated unexpectedly/i];

export function isMetadataUnavailable(e: unknown, depth = 0): boolean {
  if (typeof e !== 'object' || e === null || depth > 4) return false;
  const { code, message, cause, errors } = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || PG_CODES.has(code) || /^08/.test(code))) return true;
  if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
  // AggregateError (e.g. a connect to several addresses) and wrapped causes.
  if (Array.isArray(errors) && errors.some((x) => isMetadataUnavailable(x, depth + 1))) return true;
  return cause !== undefined && isMetadataUnavailable(cause, depth + 1);
}
