/**
 * HAProxy (Debian's package, `scripts/install-test-deps.sh`) in front of test gateways: runs in the
 * foreground with docs/haproxy.cfg, only its `bind` lines (S3, then the portal) and `server` lines
 * replaced by free loopback ports and the given gateways' S3 and portal ports, so the operator example is
 * what the tests exercise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './server.js';

export interface TestHaproxy {
  /** The S3 frontend. */
  url: string;
  port: number;
  /** The portal and admin API frontend. */
  portalUrl: string;
  portalPort: number;
  output(): string;
  stop(): Promise<void>;
}

export function haproxyBinary(): string | undefined {
  for (const p of ['/usr/sbin/haproxy', '/usr/bin/haproxy', '/usr/local/sbin/haproxy']) if (existsSync(p)) return p;
  return undefined;
}

/** docs/haproxy.cfg with our listeners (S3, portal) and backends (`granary`: S3, `granary-portal`). */
export function haproxyConfig(listenPort: number, backendPorts: number[], portalListenPort?: number, portalBackendPorts: number[] = []): string {
  // REPO_ROOT is dist/ when this runs compiled (the bench): the docs stay in the source tree above it.
  const file = [join(REPO_ROOT, 'docs/haproxy.cfg'), join(REPO_ROOT, '..', 'docs/haproxy.cfg')].find((f) => existsSync(f));
  if (!file) throw new Error('docs/haproxy.cfg not found');
  const base = readFileSync(file, 'utf8');
  const lines = base.split('\n');
  const out: string[] = [];
  const binds = [listenPort, portalListenPort];
  let bindsSeen = 0;
  let backend = '';
  const serversDone = new Set<string>();
  for (const line of lines) {
    const section = /^backend\s+(\S+)/.exec(line);
    if (section) backend = section[1]!;
    if (/^\s*bind\s/.test(line)) {
      const port = binds[bindsSeen++];
      if (port === undefined) throw new Error('docs/haproxy.cfg has more bind lines than the test expects');
      out.push(`    bind 127.0.0.1:${port}`);
    } else if (/^\s*server\s/.test(line)) {
      const ports = backend === 'granary-portal' ? portalBackendPorts : backendPorts;
      if (!serversDone.has(backend)) ports.forEach((p, i) => out.push(`    server gw${i + 1} 127.0.0.1:${p}`));
      serversDone.add(backend);
    } else {
      out.push(line);
    }
  }
  return out.join('\n');
}

/** HAProxy in front of gateways' S3 ports and (when given) their portal ports. */
export async function startHaproxy(backendPorts: number[], portalBackendPorts: number[] = []): Promise<TestHaproxy> {
  const bin = haproxyBinary();
  if (!bin) throw new Error('haproxy not installed (scripts/install-test-deps.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'granary-haproxy-'));
  const port = await freePort();
  const portalPort = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(port, backendPorts, portalPort, portalBackendPorts));
  // -db: foreground, no daemon; -W is not needed (single process).
  const proc: ChildProcess = spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`haproxy exited:\n${out}`);
    const ok = await fetch(`http://127.0.0.1:${port}/_admin/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`haproxy did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    portalUrl: `http://127.0.0.1:${portalPort}`,
    portalPort,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
