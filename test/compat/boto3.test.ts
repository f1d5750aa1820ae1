/**
 * boto3 (current botocore, on PATH), the one boto3 suite, with the client blocks of docs/clients/boto3.md
 * (default checksums: CRC32 trailers on aws-chunked bodies; and `when_required`), over HTTP and HTTPS: a
 * researcher's everyday calls (metadata, ranges, NoSuchKey, BadDigest, a single-part upload_file), awkward
 * keys, a 2,000-entry listing (v2 and v1 paging), copy_object, upload_file/download_file (multipart,
 * threads, ranged GETs), presigned GET/PUT (the default SigV2 query auth and s3v4; a tampered one is
 * refused), delete_objects; and a presigned POST (browser form upload). Cases: test/compat/py/boto3_compat.py.
 */
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/server.js';
import { run } from '../helpers/clients.js';
import { awkwardObjects, compatEnv, httpsUnavailable, manyKeys, snippet, type CompatEnv } from '../helpers/compat.js';
import { startHttps, type HttpsEnv } from './https.js';

const SCRIPT = join(REPO_ROOT, 'test/compat/py/boto3_compat.py');
let env: CompatEnv;
let work: string;
before(async () => {
  env = await compatEnv('boto3');
  work = mkdtempSync(join(tmpdir(), 'granary-compat-boto3-'));
});
after(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const awkward = JSON.stringify(Object.fromEntries(Object.entries(awkwardObjects()).map(([k, v]) => [k, v.toString()])));

function boto3(tag: string, vars: Record<string, string>, mode: 'main' | 'post', bucket: string, ca?: string): void {
  const dir = mkdtempSync(join(work, `${bucket}-`));
  run('python3', [SCRIPT, mode, bucket, dir], {
    timeoutMs: 240_000,
    env: {
      ...process.env,
      COMPAT_SNIPPET: snippet('boto3.md', tag, vars),
      COMPAT_AWKWARD: awkward,
      COMPAT_MANY: JSON.stringify(manyKeys('many/')),
      COMPAT_AK: vars.AK,
      COMPAT_SK: vars.SK,
      ...(ca ? { COMPAT_CA: ca, AWS_CA_BUNDLE: ca } : {}),
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    },
  });
}

test('default checksums (CRC32 trailers): the docs block `python boto3`', () => boto3('boto3', env.vars, 'main', 'boto3-default'));
test('request_checksum_calculation=when_required: the docs block `python boto3-when-required`', () =>
  boto3('boto3-when-required', env.vars, 'main', 'boto3-when-required'));
test('presigned POST (browser form upload with a signed policy)', () => boto3('boto3', env.vars, 'post', 'boto3-post'));

const noHttps = httpsUnavailable();
describe('external endpoint (HTTPS)', { skip: noHttps ?? false }, () => {
  let h: HttpsEnv;
  before(async () => {
    h = await startHttps('boto3');
  });
  after(async () => h?.stop());
  test('boto3 over HTTPS with the test CA (AWS_CA_BUNDLE)', () => {
    // The page: endpoint_url="https://$EXT_EP" for the external endpoint.
    const text = snippet('boto3.md', 'boto3', h.vars).replace(`"http://${h.vars.EP}"`, `"https://${h.vars.EXT_EP}"`);
    run('python3', [SCRIPT, 'main', 'boto3-https', mkdtempSync(join(work, 'https-'))], {
      timeoutMs: 240_000,
      env: { ...process.env, COMPAT_SNIPPET: text, COMPAT_AWKWARD: awkward, COMPAT_MANY: JSON.stringify(manyKeys('many/')), COMPAT_AK: h.vars.AK, COMPAT_SK: h.vars.SK, COMPAT_CA: h.ca, AWS_CA_BUNDLE: h.ca, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
  });
});
