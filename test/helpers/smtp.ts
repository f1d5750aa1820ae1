/**
 * A real SMTP server for the notice tests: Debian's Python aiosmtpd (python3-aiosmtpd, installed by
 * scripts/install-test-deps.sh) on a loopback port, storing each message it receives in a Maildir the
 * test reads. Started and stopped by the suite; nothing is ever sent anywhere else.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';

export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  body: string;
}

export interface SmtpServer {
  port: number;
  messages(): ReceivedMail[];
  /** Waits until `pred` holds for the messages received (or fails after `ms`). */
  waitFor(pred: (m: ReceivedMail[]) => boolean, ms?: number): Promise<ReceivedMail[]>;
  stop(): Promise<void>;
}

export function hasAiosmtpd(): boolean {
  return existsSync(SYSTEM_PYTHON) && spawnOk(['-c', 'import aiosmtpd']);
}

function spawnOk(args: string[]): boolean {
  return spawnSync(SYSTEM_PYTHON, args).status === 0;
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=), as mailers write non-ASCII or long headers. */
function decodeWords(v: string): string {
  return v
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, _cs: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m: string, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
    );
}

function parse(raw: string): ReceivedMail {
  const [head, ...rest] = raw.replace(/\r\n/g, '\n').split('\n\n');
  const header = (name: string): string => {
    const m = new RegExp(`^${name}:\\s*(.*(?:\\n[ \\t].*)*)`, 'im').exec(head ?? '');
    return m ? decodeWords(m[1]!.replace(/\n[ \t]+/g, ' ').trim()) : '';
  };
  let body = rest.join('\n\n');
  if (/quoted-printable/i.test(header('Content-Transfer-Encoding'))) {
    body = body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    body = Buffer.from(body, 'latin1').toString('utf8');
  }
  return { to: header('To'), from: header('From'), subject: header('Subject'), body };
}

export async function startSmtp(): Promise<SmtpServer> {
  const dir = mkdtempSync(join(tmpdir(), 'granary-smtp-'));
  const port = await freePort();
  const proc: ChildProcess = spawn(SYSTEM_PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'Maildir')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (out += d));
  // Ready once it accepts a connection.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => {
        c.end();
        r(true);
      });
      c.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`aiosmtpd did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const messages = (): ReceivedMail[] => {
    const box = join(dir, 'Maildir', 'new');
    if (!existsSync(box)) return [];
    return readdirSync(box).sort().map((f) => parse(readFileSync(join(box, f), 'utf8')));
  };
  return {
    port,
    messages,
    async waitFor(pred, ms = 30_000) {
      const end = Date.now() + ms;
      for (;;) {
        const m = messages();
        if (pred(m)) return m;
        if (Date.now() > end) throw new Error(`mail not received in ${ms} ms; have: ${JSON.stringify(m.map((x) => [x.to, x.subject]))}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
