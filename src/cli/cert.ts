/**
 * `granary cert --out DIR [--hosts LIST] [--days N]`: a local CA and a server certificate signed by it,
 * for testing the HTTPS endpoint. Node has no X.509 *creation* API, so this drives the `openssl` binary
 * (the same commands are in docs/tls.md). Writes ca.pem, ca-key.pem, cert.pem (server certificate
 * followed by the CA, a full chain) and key.pem; keys are mode 0600.
 *
 * A wildcard covers one DNS label: `*.s3-ext.localhost` names `<tenancy>.s3-ext.localhost` but not
 * `<bucket>.<tenancy>.s3-ext.localhost` (virtual-hosted style over HTTPS needs per-tenancy names, e.g.
 * `*.<tenancy>.s3-ext.localhost`, or path style).
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);

export const DEFAULT_CERT_HOSTS = ['localhost', '127.0.0.1', '::1', '*.s3-ext.localhost', '*.s3.localhost', 's3-ext.localhost', 's3.localhost'];

const USAGE = `Usage: granary cert --out DIR [--hosts LIST] [--days N] [--ca-dir DIR]

Makes a local certificate authority (ca.pem, ca-key.pem) and a server certificate signed by it
(cert.pem, key.pem) for testing the HTTPS endpoint, using the openssl binary.

Options:
  --out DIR      where to write the files (created if needed)
  --hosts LIST   comma-separated DNS names and IP addresses for subjectAltName
                 (default ${DEFAULT_CERT_HOSTS.join(',')})
  --days N       validity of the server certificate in days (default 825)
  --ca-dir DIR   reuse the CA in DIR (ca.pem, ca-key.pem) instead of making a new one
                 (e.g. to replace a server certificate that clients already trust)
`;

export interface MakeCertOptions {
  out: string;
  hosts?: string[];
  days?: number;
  /** Reuse an existing CA (its ca.pem and ca-key.pem) instead of creating one. */
  caDir?: string;
  /** Common name of the server certificate (default the first host). */
  commonName?: string;
}

export interface CertFiles {
  ca: string;
  caKey: string;
  cert: string;
  key: string;
}

function subjectAltName(hosts: string[]): string {
  return hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { maxBuffer: 1024 * 1024 });
  } catch (e) {
    const err = e as Error & { stderr?: string; code?: string };
    if (err.code === 'ENOENT') throw new Error('granary cert needs the openssl program (install the openssl package)');
    throw new Error(`openssl ${args[0]} failed: ${(err.stderr ?? err.message).trim()}`);
  }
}

/** Creates (or reuses) the CA and issues a server certificate for `hosts`. */
export async function makeCertificates(o: MakeCertOptions): Promise<CertFiles> {
  const out = resolve(o.out);
  const hosts = o.hosts?.length ? o.hosts : DEFAULT_CERT_HOSTS;
  const days = o.days ?? 825;
  await mkdir(out, { recursive: true });
  const files: CertFiles = { ca: join(out, 'ca.pem'), caKey: join(out, 'ca-key.pem'), cert: join(out, 'cert.pem'), key: join(out, 'key.pem') };
  const work = await mkdtemp(join(tmpdir(), 'granary-cert-'));
  try {
    if (o.caDir) {
      const caDir = resolve(o.caDir);
      if (caDir !== out) {
        await writeFile(files.ca, await readFile(join(caDir, 'ca.pem')));
        await writeFile(files.caKey, await readFile(join(caDir, 'ca-key.pem')), { mode: 0o600 });
      }
    } else {
      await openssl([
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', files.caKey, '-out', files.ca, '-days', '3650', '-subj', '/CN=Granary test CA',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      ]);
    }
    const csr = join(work, 'server.csr');
    const keyTmp = join(work, 'key.pem');
    const certTmp = join(work, 'cert.pem');
    const ext = join(work, 'server.ext');
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyTmp, '-out', csr, '-subj', `/CN=${o.commonName ?? hosts[0]}`]);
    await writeFile(
      ext,
      [`subjectAltName=${subjectAltName(hosts)}`, 'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', ''].join('\n'),
    );
    await openssl(['x509', '-req', '-in', csr, '-CA', files.ca, '-CAkey', files.caKey, '-CAcreateserial', '-CAserial', join(work, 'ca.srl'), '-out', certTmp, '-days', String(days), '-sha256', '-extfile', ext]);
    // The certificate file holds the chain (server, then CA), as servers send it. The key is written
    // before the certificate: a watcher reloading on the certificate's change finds a matching key.
    await writeFile(files.key, await readFile(keyTmp), { mode: 0o600 });
    await chmod(files.key, 0o600);
    await chmod(files.caKey, 0o600);
    await writeFile(files.cert, Buffer.concat([await readFile(certTmp), await readFile(files.ca)]));
    return files;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function runCert(argv: string[]): Promise<number> {
  let values: { out?: string; hosts?: string; days?: string; 'ca-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, hosts: { type: 'string' }, days: { type: 'string' }, 'ca-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`granary cert: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.out) {
    process.stderr.write(`granary cert: --out DIR is required\n\n${USAGE}`);
    return 2;
  }
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) {
    process.stderr.write('granary cert: --days must be a positive integer\n');
    return 2;
  }
  const hosts = values.hosts?.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    const f = await makeCertificates({ out: values.out, ...(hosts ? { hosts } : {}), ...(days ? { days } : {}), ...(values['ca-dir'] ? { caDir: values['ca-dir'] } : {}) });
    process.stdout.write(`CA certificate:     ${f.ca}\nCA key:             ${f.caKey}\nServer certificate: ${f.cert}\nServer key:         ${f.key}\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`granary cert: ${(e as Error).message}\n`);
    return 1;
  }
}
