/** Random identifiers: unguessable, URL- and filename-safe, sortable enough for humans to read. */
import { randomBytes } from 'node:crypto';

/** 128 random bits as 32 lowercase hex characters (blob ids, upload ids, record ids). */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

const REQUEST_ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let requestCounter = 0;

/**
 * A request id as AWS shows them: 16 uppercase hex characters. A random per-process prefix and a counter:
 * unique across processes and restarts without paying for randomness on every request.
 */
export function newRequestId(): string {
  requestCounter = (requestCounter + 1) >>> 0;
  return REQUEST_ID_PREFIX + requestCounter.toString(16).toUpperCase().padStart(8, '0');
}
