/**
 * The server's logs: every line is pino's JSON (the process log and the access log alike), written to one
 * sink chosen by the operator: stderr (the default), stdout, or a file that SIGHUP reopens, so logrotate's
 * `postrotate` can move the file away and have the next line land in a new one (docs/operations.md).
 *
 * Secrets are kept out by the logger's own configuration (its `log` formatter censors REDACTED_FIELDS) as
 * well as by never passing them in the first place: a field named like a secret is censored wherever it is
 * nested, whatever its case.
 *
 * Logging never stops the server: a log on a full volume (ENOSPC), a closed pipe (EPIPE) or a vanished
 * terminal drops lines, it does not end the process (without an 'error' listener on stdout/stderr, Node
 * exits on the first failed write). After a standard stream has failed, lines go straight to its file
 * descriptor, so logging resumes by itself once the disk has room again; a file sink writes synchronously
 * and drops a line it cannot write.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import pino from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where the log goes: a standard stream, or a file (appended to; reopened by `LogSink.reopen`). */
export type LogDestination = 'stderr' | 'stdout' | { file: string };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Field names that must never appear in a log line, wherever they are nested (censored by pino). */
export const REDACTED_FIELDS = [
  'authorization',
  'secret',
  'secretKey',
  'secretAccessKey',
  'password',
  'bindPassword',
  'signature',
  'x-amz-signature',
  'X-Amz-Signature',
  'x-amz-security-token',
  'sessionToken',
  'sessionId',
  'session',
  'cookie',
  'set-cookie',
  'csrfToken',
  'x-csrf-token',
  'token',
  'masterKey',
];

const SECRET_KEYS: ReadonlySet<string> = new Set(REDACTED_FIELDS.map((f) => f.toLowerCase()));
const CENSOR = '[redacted]';
/** Deeper than any field Granary logs; a cycle or a huge object stops here. */
const MAX_DEPTH = 8;

/**
 * `value` with every field named like a secret (REDACTED_FIELDS, any case, at any depth) censored. The
 * value itself is returned when there is nothing to censor (the common case costs a look at each key);
 * otherwise copies are made along the way, so the caller's objects are never changed.
 * Chosen over pino's `redact` paths: those need one wildcard path per depth and name, and cost tens of
 * microseconds per line (measured: ~100 µs with ten names at three depths, against ~2 µs for the line).
 */
export function censorSecrets(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = censorSecrets(value[i], depth + 1);
      if (next !== value[i]) (out ??= value.slice())[i] = next;
    }
    return out ?? value;
  }
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(obj)) {
    const cur = obj[k];
    const next = cur !== undefined && SECRET_KEYS.has(k.toLowerCase()) ? CENSOR : censorSecrets(cur, depth + 1);
    if (next !== cur) (out ??= copyOf(obj))[k] = next;
  }
  return out ?? value;
}

/** A shallow copy to censor; an Error keeps what its serialiser shows (name, message, stack). */
function copyOf(obj: Record<string, unknown>): Record<string, unknown> {
  if (obj instanceof Error) return { ...obj, type: obj.name, message: obj.message, stack: obj.stack };
  return { ...obj };
}

/**
 * The pino options every Granary logger uses: JSON lines with an ISO time and the level's name, no pid or
 * host name (the collector adds those), and the redaction above (the `log` formatter).
 */
export function pinoOptions(level: LogLevel | 'silent' = 'info'): pino.LoggerOptions {
  return {
    level,
    base: null,
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }), log: (fields) => censorSecrets(fields) as Record<string, unknown> },
  };
}

let dropped = 0;

/** Lines that could not be written since the process started (stream and file failures). */
export function droppedLogLines(): number {
  return dropped;
}

const failed = { stdout: false, stderr: false };

/**
 * Installs the 'error' listeners on process.stdout and process.stderr that keep a failed write from ending
 * the process. Idempotent; called at start-up by `granary serve`.
 */
export function guardStdio(): void {
  for (const [stream, name] of [[process.stdout, 'stdout'], [process.stderr, 'stderr']] as const) {
    if ((stream as { granaryGuarded?: boolean }).granaryGuarded) continue;
    (stream as { granaryGuarded?: boolean }).granaryGuarded = true;
    stream.on('error', () => {
      dropped++;
      failed[name] = true;
    });
  }
}

function writeStd(name: 'stdout' | 'stderr', text: string): void {
  const stream = name === 'stdout' ? process.stdout : process.stderr;
  try {
    if (failed[name] || stream.destroyed) writeSync(name === 'stdout' ? 1 : 2, text);
    else stream.write(text);
  } catch {
    dropped++;
  }
}

/** Writes text to stderr, never throwing (see the module comment). For the CLI's own messages. */
export function writeStderr(text: string): void {
  writeStd('stderr', text);
}

/** Where log text goes. `write` never throws. */
export interface LogSink {
  write(text: string): void;
  /** Opens the file again by its name (after logrotate moved it); a no-op for standard streams. */
  reopen(): void;
  /** Closes the file (at shutdown); later writes are dropped. */
  close(): void;
}

/** Opens the sink for a destination; a file that cannot be opened fails here, at start-up. */
export function openLogSink(dest: LogDestination): LogSink {
  if (dest === 'stderr' || dest === 'stdout') return { write: (t) => writeStd(dest, t), reopen: () => {}, close: () => {} };
  return new FileSink(dest.file);
}

/** Appends to a file with synchronous writes (lines are batched by the callers: one write per batch). */
class FileSink implements LogSink {
  private fd: number | undefined;

  constructor(private readonly path: string) {
    this.fd = openSync(path, 'a', 0o640);
  }

  write(text: string): void {
    if (this.fd === undefined) {
      dropped++;
      return;
    }
    const buf = Buffer.from(text);
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
    } catch {
      dropped++;
    }
  }

  reopen(): void {
    if (this.fd === undefined) return;
    // Open the new file first: should it fail (a vanished directory), lines keep going to the old one.
    const fd = openSync(this.path, 'a', 0o640);
    const old = this.fd;
    this.fd = fd;
    closeSync(old);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

const STDERR_SINK: LogSink = openLogSink('stderr');

/** The process log (pino) at `level`, writing to `sink` (default stderr). */
export function createLogger(level: LogLevel = 'info', sink: LogSink = STDERR_SINK): Logger {
  const p = pino(pinoOptions(level), { write: (line: string) => sink.write(line) });
  const at =
    (lvl: LogLevel) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      try {
        if (fields === undefined) p[lvl](msg);
        else p[lvl](fields, msg);
      } catch {
        dropped++;
      }
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
