/**
 * The access log: one structured JSON line per finished request (pino, with the process log's options and
 * redaction: lib/log.ts), attached to the HTTP server's request-finished hook. Lines carry the request's
 * facts (lib/http-response.ts FinishedRequest) and nothing else; the logger's redaction is the second line
 * of defence should a secret-bearing field ever be added. Lines are gathered and written once per turn of
 * the event loop, so a busy server does not pay a write per request; the write is the log sink's (never
 * throws, survives a full disk or a closed pipe, follows the file to a new one on SIGHUP).
 */
import pino from 'pino';
import type { FinishedRequest } from '../lib/http-response.js';
import { openLogSink, pinoOptions, type LogSink } from '../lib/log.js';

export interface AccessLog {
  log(r: FinishedRequest): void;
  /** Writes what is gathered now (at shutdown). */
  flush(): void;
}

export function createAccessLog(sink: LogSink = openLogSink('stderr')): AccessLog {
  let pending: string[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    sink.write(text);
  };
  const logger = pino(pinoOptions('info'), {
    write(line: string) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  });
  return {
    // The bucket-logging facts are another log's (core/server-access-log.ts), not this line's.
    log: (r) => {
      if (r.serverAccessLog === undefined) logger.info({ ...r }, 'request');
      else {
        const { serverAccessLog: _, ...facts } = r;
        logger.info(facts, 'request');
      }
    },
    flush,
  };
}
