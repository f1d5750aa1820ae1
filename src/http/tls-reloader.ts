/**
 * Keeps an HTTPS listener's certificate current without a restart: the PEM files are re-read when they
 * change (fs.watch on their directories, debounced, because renewals replace files by rename and tools
 * write in several steps), on a periodic mtime check (fs.watch misses changes on some network
 * filesystems), and on demand (SIGHUP). A new pair that does not load (bad PEM, key not matching the
 * certificate) is logged and the certificate in use is kept. Existing connections keep their session;
 * new handshakes get the new certificate (`server.setSecureContext`).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from '../lib/log.js';

export interface TlsFiles {
  cert: string;
  key: string;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

const DEBOUNCE_MS = 200;

/** Reads and validates a certificate/key pair (throws with a readable message when it does not load). */
export async function loadTlsPair(files: TlsFiles): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(files.cert), readFile(files.key)]);
  createSecureContext({ cert, key }); // throws on bad PEM or a key that does not match the certificate
  return { cert, key };
}

export class TlsReloader {
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #stamp = '';
  #current: TlsPair;
  #reloading: Promise<boolean> | undefined;

  constructor(
    private readonly server: HttpsServer,
    private readonly files: TlsFiles,
    initial: TlsPair,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {
    this.#current = initial;
  }

  async start(): Promise<void> {
    this.#stamp = await this.stamp();
    const names = new Set([basename(this.files.cert), basename(this.files.key)]);
    for (const dir of new Set([dirname(this.files.cert), dirname(this.files.key)])) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name.toString())) this.schedule();
        });
        w.on('error', (err) => this.log.warn('certificate watch failed; relying on the periodic check', { dir, err: err.message }));
        this.#watchers.push(w);
      } catch (e) {
        this.log.warn('cannot watch certificate directory; relying on the periodic check', { dir, err: (e as Error).message });
      }
    }
    this.#poll = setInterval(() => {
      void this.stamp().then((s) => {
        if (s !== this.#stamp) this.schedule();
      });
    }, this.pollMs);
    this.#poll.unref();
  }

  private schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.reload('file change');
    }, DEBOUNCE_MS);
    this.#timer.unref();
  }

  private async stamp(): Promise<string> {
    const parts = await Promise.all(
      [this.files.cert, this.files.key].map((f) =>
        stat(f).then(
          (s) => `${s.ino}:${s.size}:${s.mtimeMs}`,
          () => 'missing',
        ),
      ),
    );
    return parts.join('|');
  }

  /** Re-reads the files and installs them if they load; true when a new certificate is in use. */
  reload(reason: string): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      this.#stamp = await this.stamp();
      let next: TlsPair;
      try {
        next = await loadTlsPair(this.files);
      } catch (e) {
        this.log.error('TLS certificate reload failed; keeping the current certificate', { reason, cert: this.files.cert, err: (e as Error).message });
        return false;
      }
      if (next.cert.equals(this.#current.cert) && next.key.equals(this.#current.key)) return false;
      this.server.setSecureContext({ cert: next.cert, key: next.key });
      this.#current = next;
      this.log.info('TLS certificate reloaded', { reason, cert: this.files.cert });
      return true;
    };
    // One reload at a time; a request during one waits for it and then runs (the files may have moved on).
    const p = (this.#reloading ?? Promise.resolve(false)).then(run, run);
    this.#reloading = p;
    return p;
  }

  stop(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers.length = 0;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#poll) clearInterval(this.#poll);
  }
}
