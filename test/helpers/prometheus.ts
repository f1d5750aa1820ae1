/**
 * A real Prometheus (Debian's package, scripts/install-test-deps.sh) scraping test gateways: runs in the
 * foreground on a loopback port with docs/monitoring/prometheus.yml, only its intervals, target, token file
 * and rule file's path replaced, so the operator example is what the tests exercise.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { REPO_ROOT } from './server.js';

export function prometheusBinary(): string | undefined {
  return ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p));
}

export function promtoolBinary(): string | undefined {
  return ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
}

/** Skip only where the binary is missing on a developer's machine; in CI a missing Prometheus fails. */
export function prometheusSkip(): string | false {
  if (prometheusBinary() && promtoolBinary()) return false;
  return process.env.CI ? false : 'prometheus is not installed (scripts/install-test-deps.sh)';
}

export const MONITORING_DIR = [join(REPO_ROOT, 'docs/monitoring'), join(REPO_ROOT, '..', 'docs/monitoring')].find((d) => existsSync(d)) ?? join(REPO_ROOT, 'docs/monitoring');

export interface TestPrometheus {
  url: string;
  /** An instant query's vector: labels and value of each series. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>>;
  output(): string;
  stop(): Promise<void>;
}

/** docs/monitoring/prometheus.yml scraping `target` (host:port) every second with `token`. */
export function prometheusConfig(target: string, tokenFile: string, rulesFile: string): string {
  const base = readFileSync(join(MONITORING_DIR, 'prometheus.yml'), 'utf8');
  const out = base
    .replace(/scrape_interval: \S+/, 'scrape_interval: 1s')
    .replace(/evaluation_interval: \S+/, 'evaluation_interval: 1s')
    .replace(/credentials_file: \S+/, `credentials_file: ${tokenFile}`)
    .replace(/- alerts\.yml/, `- ${rulesFile}`)
    .replace(/- granary-1\.example\.org:\d+/, `- ${target}`);
  for (const must of ['1s', tokenFile, rulesFile, target]) if (!out.includes(must)) throw new Error(`docs/monitoring/prometheus.yml no longer has the line for ${must}`);
  return out;
}

export async function startPrometheus(target: string, token: string): Promise<TestPrometheus> {
  const bin = prometheusBinary();
  if (!bin) throw new Error('prometheus is not installed (scripts/install-test-deps.sh)');
  const dir = mkdtempSync(join(tmpdir(), 'granary-prometheus-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(target, tokenFile, join(MONITORING_DIR, 'alerts.yml')));
  const port = await freePort();
  const proc = spawn(bin, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}:\n${out}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async query(expr) {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await r.json()) as { status: string; error?: string; data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
      if (body.data!.resultType !== 'vector') return [];
      return body.data!.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
    },
    output: () => out,
    stop,
  };
}
