/**
 * xarray + Zarr (Debian's python3-xarray/zarr under /usr/bin/python3) with the blocks of
 * docs/clients/xarray-zarr.md: a Dataset written to Zarr in a bucket through the boto3-backed store and
 * read back identical; the bucket made public with the `json public-policy` block, and the store read
 * anonymously over HTTP and HTTPS with fsspec at the tenancy's host name.
 */
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/server.js';
import { run } from '../helpers/clients.js';
import { compatEnv, debianPythonMissing, httpsUnavailable, snippet, type CompatEnv } from '../helpers/compat.js';
import { startHttps, type HttpsEnv } from './https.js';

const SCRIPT = join(REPO_ROOT, 'test/compat/py/xarray_zarr.py');
const skip = debianPythonMissing(['xarray', 'zarr', 'boto3', 'fsspec', 'aiohttp']) ?? false;

function roundTrip(vars: Record<string, string>, bucket: string, publicBase: string, ca?: string): void {
  const v = { ...vars, BUCKET: bucket, PUBLIC_BASE: publicBase };
  run('/usr/bin/python3', [SCRIPT], {
    timeoutMs: 240_000,
    env: {
      ...process.env,
      COMPAT_BUCKET: bucket,
      COMPAT_STORE: snippet('xarray-zarr.md', 'zarr-store', v),
      COMPAT_POLICY: snippet('xarray-zarr.md', 'public-policy', v),
      COMPAT_PUBLIC: snippet('xarray-zarr.md', 'zarr-public', v),
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      ...(ca ? { SSL_CERT_FILE: ca } : {}),
    },
  });
}

describe('xarray + Zarr', { skip }, () => {
  let env: CompatEnv;
  before(async () => {
    env = await compatEnv('xarray');
  });
  after(async () => env?.stop());
  test('to_zarr/open_zarr through the boto3 store, then anonymous fsspec HTTP read of the public bucket', () =>
    roundTrip(env.vars, 'zarr-http', `http://${env.tenancyEp}`));
});

const noHttps = httpsUnavailable();
describe('external endpoint (HTTPS)', { skip: skip || (noHttps ?? false) }, () => {
  let h: HttpsEnv;
  before(async () => {
    h = await startHttps('xarray');
  });
  after(async () => h?.stop());
  test('public Zarr store read anonymously over HTTPS with fsspec (test CA)', () => {
    const port = h.url.split(':').at(-1);
    roundTrip(h.vars, 'zarr-https', `https://${h.env.tenancy}.s3-ext.localhost:${port}`, h.ca);
  });
});
