/**
 * Starts the real Granary server as a child process on a free port with a temporary data directory,
 * the way a user runs it, for integration and compatibility tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface TestServer {
  /** http://127.0.0.1:PORT — the S3 endpoint */
  url: string;
  /** 127.0.0.1:PORT */
  endpoint: string;
  port: number;
  /**
   * http://127.0.0.1:PORTAL_PORT — the portal and admin API, an origin S3 never serves (the portal is at
   * `${portalUrl}/_admin/portal/`, the admin API at `${portalUrl}/_admin/api/v1`). Equal to `url` on a
   * server without a portal listener (`--listen-portal none`).
   */
  portalUrl: string;
  portalPort: number;
  /** https://127.0.0.1:PORT when the server was started with an HTTPS listener (`--listen-https`). */
  httpsUrl?: string;
  dataDir: string;
  accessKey: string;
  secretKey: string;
  proc: ChildProcess;
  /** Everything the server wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit (crash simulation). */
  kill(): Promise<void>;
  /** Removes the data directory (after stop). */
  cleanup(): void;
}

export interface StartOptions {
  dataDir?: string;
  env?: Record<string, string>;
  port?: number;
  /** The portal listener's port (default: any free port; never the S3 port + 1, which may be taken). */
  portalPort?: number;
  /** Extra `granary serve` arguments (e.g. `['--metadata', url]`). */
  args?: string[];
}

let counter = 0;
const HTTPS_LINE = /Granary S3 endpoint \(HTTPS\): https:\/\/127\.0\.0\.1:(\d+)/;
const PORTAL_LINE = /Granary portal: http:\/\/127\.0\.0\.1:(\d+)\//;

/** `--listen-portal` / GRANARY_LISTEN_PORTAL as the caller set it, if at all. */
function portalSetting(opts: StartOptions): string | undefined {
  const args = opts.args ?? [];
  const i = args.indexOf('--listen-portal');
  return i >= 0 ? args[i + 1] : opts.env?.GRANARY_LISTEN_PORTAL;
}
const wantsOwnPortal = (opts: StartOptions): boolean => portalSetting(opts) !== undefined;

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'granary-test-'));
  counter++;
  const accessKey = `GRTEST${process.pid}X${counter}`.slice(0, 20);
  const secretKey = `test-secret-${process.pid}-${counter}-abcdefghijklmnop`;
  const proc = spawn(
    process.execPath,
    [
      '--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'serve', '--data', dataDir, '--listen', `127.0.0.1:${opts.port ?? 0}`,
      ...(wantsOwnPortal(opts) ? [] : ['--listen-portal', `127.0.0.1:${opts.portalPort ?? 0}`]),
      ...(opts.args ?? []),
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        GRANARY_ADMIN_PASSWORD: 'admin-password-for-tests',
        GRANARY_ACCESS_KEY: accessKey,
        GRANARY_SECRET_KEY: secretKey,
        GRANARY_LOG_LEVEL: 'warn',
        // A small space reserve (default 32 MiB): dozens of test servers need not each write one in full.
        GRANARY_SPACE_RESERVE_BYTES: String(1024 * 1024),
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const wantsHttps = (opts.args ?? []).includes('--listen-https') || opts.env?.GRANARY_LISTEN_HTTPS !== undefined;
  const noPortalListener = /(^|\s)none(\s|$)/i.test(portalSetting(opts) ?? '');
  const wantsPortalUrl = (opts.args ?? []).includes('--portal-url') || opts.env?.GRANARY_PORTAL_URL !== undefined;

  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    const check = (): void => {
      const m = /Granary S3 endpoint: http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m && wantsHttps && !HTTPS_LINE.test(out)) return;
      if (m && !noPortalListener && !PORTAL_LINE.test(out)) return;
      if (m && wantsPortalUrl && !/Granary portal \(public URL\): /.test(out)) return;
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });

  const httpsPort = HTTPS_LINE.exec(out)?.[1];
  const portalPort = Number(PORTAL_LINE.exec(out)?.[1] ?? port);
  return {
    ...(httpsPort ? { httpsUrl: `https://127.0.0.1:${httpsPort}` } : {}),
    url: `http://127.0.0.1:${port}`,
    endpoint: `127.0.0.1:${port}`,
    port,
    portalUrl: `http://127.0.0.1:${portalPort}`,
    portalPort,
    dataDir,
    accessKey,
    secretKey,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
