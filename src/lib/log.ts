/**
 * A minimal structured logger: one JSON line per event on stderr. Enough for operators to grep and for
 * tests to assert that secrets never appear; swap for pino if we ever need transports.
 *
 * Logging never stops the server: a log on a full volume (ENOSPC), a closed pipe (EPIPE) or a vanished
 * terminal drops lines, it does not end the process (without an 'error' listener on stdout/stderr, Node
 * exits on the first failed write). After stderr's stream has failed, lines go straight to file
 * descriptor 2, so logging resumes by itself once the disk has room again.
 */
import { writeSync } from 'node:fs';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

let stderrFailed = false;
let dropped = 0;

/** Lines that could not be written since the process started (stdout/stderr failures). */
export function droppedLogLines(): number {
  return dropped;
}

/**
 * Installs the 'error' listeners on process.stdout and process.stderr that keep a failed write from ending
 * the process. Idempotent; called at start-up by `granary serve`.
 */
export function guardStdio(): void {
  for (const [stream, isStderr] of [[process.stdout, false], [process.stderr, true]] as const) {
    if ((stream as { granaryGuarded?: boolean }).granaryGuarded) continue;
    (stream as { granaryGuarded?: boolean }).granaryGuarded = true;
    stream.on('error', () => {
      dropped++;
      if (isStderr) stderrFailed = true;
    });
  }
}

/** Writes one line to stderr, never throwing (see the module comment). */
export function writeStderr(line: string): void {
  try {
    if (stderrFailed || process.stderr.destroyed) writeSync(2, line);
    else process.stderr.write(line);
  } catch {
    dropped++;
  }
}

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = writeStderr): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[lvl] < min) return;
    const rec: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg, ...fields };
    const err = fields?.err;
    if (err instanceof Error) rec.err = { name: err.name, message: err.message, stack: err.stack };
    let line: string;
    try {
      line = JSON.stringify(rec) + '\n';
    } catch {
      line = JSON.stringify({ time: rec.time, level: lvl, msg, note: 'fields could not be serialised' }) + '\n';
    }
    try {
      write(line);
    } catch {
      dropped++;
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
