/**
 * The access log: one structured JSON line per finished request (pino), attached to the HTTP server's
 * request-finished hook. Lines carry the request's facts (lib/http-response.ts FinishedRequest) and nothing
 * else; the logger's redaction is the second line of defence should a secret-bearing field ever be added.
 * Lines are gathered and written once per turn of the event loop, so a busy server does not pay a write
 * per request; the write itself is the process logger's (lib/log.ts writeStderr: never throws, survives a
 * full disk or a closed pipe).
 */
import pino from 'pino';
import type { FinishedRequest } from '../lib/http-response.js';
import { writeStderr } from '../lib/log.js';

/** Field names that must never appear in a log line, wherever they are nested (censored by pino). */
export const REDACTED_FIELDS = ['authorization', 'secret', 'secretKey', 'secretAccessKey', 'password', 'signature', 'sessionId', 'cookie', 'csrfToken', 'x-amz-signature'];

const REDACT_PATHS = REDACTED_FIELDS.flatMap((f) => [`["${f}"]`, `*["${f}"]`, `*.*["${f}"]`]);

export interface AccessLog {
  log(r: FinishedRequest): void;
  /** Writes what is gathered now (at shutdown). */
  flush(): void;
}

export function createAccessLog(write: (text: string) => void = writeStderr): AccessLog {
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    write(text);
  };
  const logger = pino(
    {
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    {
      write(line: string) {
        pending.push(line);
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      },
    },
  );
  return {
    log: (r) => logger.info({ ...r }, 'request'),
    flush,
  };
}
