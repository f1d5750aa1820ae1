/**
 * Shared pieces of the client compatibility suite (test/compat): configuration snippets read from the
 * user documentation (docs/clients/*.md) with their placeholders filled in, a tenancy with a user's key
 * to run every client as, the awkward keys every client must round-trip, and a 2,000-entry "directory".
 *
 * A snippet is a fenced block whose info string is `<language> <tag>`, e.g. ```ini s3cfg. Placeholders
 * are `$NAME` (capitals, digits, `_`); filling a snippet with a placeholder the test does not know fails,
 * so a docs edit that invents a new one is caught too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { REPO_ROOT, startServer, type StartOptions, type TestServer } from './server.js';
import { AdminClient, creds, makeActor, s3For } from './admin.js';

export const DOCS_DIR = join(REPO_ROOT, 'docs/clients');

/** Every fenced block of a docs page that carries a tag: tag → text (without the fences). */
export function snippets(page: string): Map<string, { lang: string; text: string }> {
  const md = readFileSync(join(DOCS_DIR, page), 'utf8');
  const out = new Map<string, { lang: string; text: string }>();
  const re = /^```([A-Za-z0-9_+-]+)[ \t]+([^\n`]+?)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = re.exec(md); m; m = re.exec(md)) {
    if (out.has(m[2])) throw new Error(`docs/clients/${page}: two snippets are tagged "${m[2]}"`);
    out.set(m[2], { lang: m[1], text: m[3] });
  }
  return out;
}

/** One tagged snippet of a docs page, placeholders filled from `vars`. */
export function snippet(page: string, tag: string, vars: Record<string, string>): string {
  const s = snippets(page).get(tag);
  if (!s) throw new Error(`docs/clients/${page} has no snippet tagged "${tag}" (a fenced block opening with \`\`\`LANG ${tag})`);
  return fill(s.text, vars);
}

export function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\$([A-Z][A-Z0-9_]*)/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`snippet placeholder $${name} is not one the tests fill in (${Object.keys(vars).join(', ')})`);
    return vars[name];
  });
}

/** A running server plus a tenancy, a MANAGER of it with an access key, and an SDK client as that key. */
export interface CompatEnv {
  server: TestServer;
  tenancy: string;
  ak: string;
  sk: string;
  /** 127.0.0.1:PORT — the key names the tenancy, so a bare address works. */
  ep: string;
  /** `<tenancy>.s3.localhost:PORT` (resolves only where the client lets us point it at 127.0.0.1). */
  tenancyEp: string;
  sdk: S3Client;
  /** Placeholders every page may use. */
  vars: Record<string, string>;
  stop(): Promise<void>;
}

let envCounter = 0;
export async function compatEnv(name: string, opts: StartOptions = {}): Promise<CompatEnv> {
  const server = await startServer(opts);
  const admin = AdminClient.site(server);
  const tenancy = `compat-${name}-${++envCounter}`.toLowerCase();
  await admin.createTenancy({ name: tenancy });
  const actor = await makeActor(admin, `${tenancy}-user`, tenancy, 'MANAGER');
  const sdk = s3For(server, creds(actor.key));
  const ak = actor.key.accessKeyId;
  const sk = actor.key.secretAccessKey;
  const tenancyEp = `${tenancy}.s3.localhost:${server.port}`;
  return {
    server,
    tenancy,
    ak,
    sk,
    ep: server.endpoint,
    tenancyEp,
    sdk,
    vars: { AK: ak, SK: sk, EP: server.endpoint, TENANCY: tenancy },
    async stop() {
      sdk.destroy();
      await server.stop();
      server.cleanup();
    },
  };
}

/**
 * Object keys that trip clients up: spaces, '+', a literal '%2F', '&' and '=', unicode (NFC), and a key of
 * about 1,000 bytes (in path segments under 255 bytes, so clients can also store it as a local file).
 */
export function awkwardObjects(): Record<string, Buffer> {
  const long = ['long', 'a'.repeat(200), 'b'.repeat(200), 'c'.repeat(200), 'd'.repeat(200), 'e'.repeat(170) + '-ü.txt'].join('/');
  return {
    'dir with space/file one.txt': Buffer.from('space\n'),
    'plus+sign/a+b=c.dat': Buffer.from('plus+\n'),
    'literal%2Fslash.txt': Buffer.from('%2F stays literal\n'),
    'amp&ersand/x&y.txt': Buffer.from('ampersand\n'),
    'ünïcödé/日本語 ファイル.txt': Buffer.from('unicode ✓\n'),
    [long]: Buffer.from('long key\n'),
  };
}
export const LONG_KEY_BYTES = Buffer.byteLength(Object.keys(awkwardObjects()).at(-1)!);

export const MANY = 2000;
/** Keys of the 2,000-entry "directory" `prefix` (sorted as S3 lists them). */
export function manyKeys(prefix = 'many/'): string[] {
  return Array.from({ length: MANY }, (_, i) => `${prefix}entry ${String(i).padStart(4, '0')}+ü.txt`);
}

/** Fills the 2,000-entry directory through the SDK (fast, 32 at a time); each object holds its index. */
export async function putMany(sdk: S3Client, bucket: string, prefix = 'many/'): Promise<string[]> {
  const keys = manyKeys(prefix);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < keys.length) {
        const i = next++;
        await sdk.send(new PutObjectCommand({ Bucket: bucket, Key: keys[i], Body: String(i) }));
      }
    }),
  );
  return keys;
}

/** Whether the HTTPS listener and `granary cert` exist yet: null when they do, else the reason. */
export function httpsUnavailable(): string | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'cert', '--help'], { encoding: 'utf8', cwd: REPO_ROOT });
  if (r.status !== 0) return `the HTTPS listener is not built yet (\`granary cert --help\` exits ${r.status}: ${(r.stderr || r.stdout).trim().split('\n')[0]})`;
  return null;
}

/** Whether a program is on PATH (or an absolute path exists). */
export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v '${cmd}'`], { encoding: 'utf8' }).status === 0;
}

/** /usr/bin/python3 (Debian's) can import all of `modules`; else the reason. */
export function debianPythonMissing(modules: string[]): string | null {
  const r = spawnSync('/usr/bin/python3', ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  return r.status === 0 ? null : `/usr/bin/python3 cannot import ${modules.join(', ')}: ${r.stderr.trim().split('\n').at(-1)} (run scripts/install-test-deps.sh)`;
}
