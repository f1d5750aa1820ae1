/** Random identifiers: unguessable, URL- and filename-safe, sortable enough for humans to read. */
import { randomBytes } from 'node:crypto';

/** 128 random bits as 32 lowercase hex characters (blob ids, upload ids, record ids). */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

/** A request id as AWS shows them: 16 uppercase hex characters. */
export function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}
