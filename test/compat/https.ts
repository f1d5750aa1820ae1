/**
 * The external (HTTPS) endpoint for the compatibility suite: a test CA and server certificate from
 * `granary cert` (once per test process), and a server listening on both endpoints. Tests that use it are
 * skipped, with the reason, while `httpsUnavailable()` gives one.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/server.js';
import { run } from '../helpers/clients.js';
import { compatEnv, type CompatEnv } from '../helpers/compat.js';

export interface HttpsEnv {
  env: CompatEnv;
  /** Placeholders for the docs snippets: the usual ones plus EXT_EP (127.0.0.1:HTTPS_PORT) and CA (PEM path). */
  vars: Record<string, string>;
  /** https://127.0.0.1:PORT */
  url: string;
  /** The test CA's certificate (PEM file). */
  ca: string;
  stop(): Promise<void>;
}

let certDir: string | undefined;
function testCert(): string {
  if (!certDir) {
    certDir = mkdtempSync(join(tmpdir(), 'granary-compat-cert-'));
    run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'cert', '--out', certDir], { cwd: REPO_ROOT, timeoutMs: 60_000 });
  }
  return certDir;
}

export async function startHttps(name: string): Promise<HttpsEnv> {
  const dir = testCert();
  const env = await compatEnv(`${name}-tls`, {
    args: ['--listen-https', '127.0.0.1:0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')],
  });
  const url = env.server.httpsUrl;
  if (!url) throw new Error(`the server did not report an HTTPS endpoint:\n${env.server.output()}`);
  const ca = join(dir, 'ca.pem');
  readFileSync(ca); // exists
  const extEp = url.replace(/^https:\/\//, '');
  return { env, vars: { ...env.vars, EXT_EP: extEp, CA: ca }, url, ca, stop: () => env.stop() };
}

/** GET a URL (http or https with the test CA) without credentials: status and body. */
export function fetchWith(url: string, ca?: string, method = 'GET', data?: string): { status: number; body: string } {
  const args = ['-sS', '-X', method, '-o', '-', '-w', '\n%{http_code}', ...(ca ? ['--cacert', ca] : []), ...(data !== undefined ? ['--data-binary', data, '-H', 'Content-Type:'] : []), url];
  const r = run('curl', args, { timeoutMs: 60_000 });
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}
