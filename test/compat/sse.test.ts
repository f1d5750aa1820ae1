/**
 * Server-side encryption with the real clients, configured and driven by the blocks of
 * docs/clients/encryption.md, over the external (HTTPS) endpoint (SSE-C is refused over plain HTTP):
 * the AWS CLI v1 and v2 (`--sse AES256`, `--sse-c`), rclone (`server_side_encryption`, `sse_customer_key`),
 * boto3 and @aws-sdk/client-s3. Each checks what the server stored (through the SDK: the mode of each
 * object) and that the plaintext is nowhere in the data directory.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { run } from '../helpers/clients.js';
import { filesUnder } from '../helpers/tree.js';
import { REPO_ROOT } from '../helpers/server.js';
import { have, httpsUnavailable, snippet } from '../helpers/compat.js';
import { startHttps, type HttpsEnv } from './https.js';

const PAGE = 'encryption.md';
const noHttps = httpsUnavailable();


describe('server-side encryption with real clients (external endpoint)', { skip: noHttps ?? false }, () => {
  let h: HttpsEnv;
  let work: string;
  /** The SDK over the external endpoint (SSE-C keys are refused over plain HTTP). */
  let sdk: S3Client;
  before(async () => {
    h = await startHttps('sse');
    work = mkdtempSync(join(tmpdir(), 'granary-compat-sse-'));
    sdk = new S3Client({
      endpoint: h.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: h.env.ak, secretAccessKey: h.env.sk },
      requestHandler: { httpsAgent: new Agent({ ca: readFileSync(h.ca) }) } as never,
    });
  });
  after(async () => {
    sdk?.destroy();
    await h?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A body with a marker unique to the test, to grep the data directory for. */
  const marked = (label: string, size = 300_000): Buffer => Buffer.alloc(size, `SSE-COMPAT-${label}-MARKER/`);
  const assertNotOnDisk = (label: string) =>
    assert.deepEqual(filesUnder(h.env.server.dataDir).filter((f) => readFileSync(f).includes(`SSE-COMPAT-${label}-MARKER`)), [], `plaintext of ${label} on disk`);
  const vars = (bucket: string, extra: Record<string, string> = {}) => ({ ...h.vars, BUCKET: bucket, ...extra });
  const mode = async (bucket: string, key: string, customerKey?: Buffer): Promise<string | undefined> => {
    const r = await sdk.send(
      new HeadObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(customerKey ? { SSECustomerAlgorithm: 'AES256', SSECustomerKey: customerKey.toString('base64') } : {}),
      }),
    );
    return r.ServerSideEncryption ?? (r.SSECustomerAlgorithm ? 'SSE-C' : undefined);
  };

  for (const [ver, bin] of [['v1', 'aws'], ['v2', '/usr/bin/aws']] as const) {
    test(`AWS CLI ${ver}: --sse AES256 and --sse-c, the docs block \`sh aws-sse\``, { skip: have(bin) ? false : `${bin} is not installed` }, async () => {
      const bucket = `sse-aws-${ver}`;
      await sdk.send(new CreateBucketCommand({ Bucket: bucket }));
      const dir = mkdtempSync(join(work, `aws-${ver}-`));
      const body = marked(`aws${ver}`);
      writeFileSync(join(dir, 'results.nc'), body);
      const config = join(dir, 'config');
      writeFileSync(config, snippet('aws-cli.md', 'aws-config', h.vars));
      // Debian's v2.9 ignores AWS_ENDPOINT_URL: the page says to give --endpoint-url then.
      const script = `aws() { command ${bin} --endpoint-url https://${h.vars.EXT_EP} "$@"; }\nset -e\n${snippet(PAGE, 'aws-sse', vars(bucket))}`;
      run('sh', ['-c', script], {
        cwd: dir,
        timeoutMs: 240_000,
        env: { ...process.env, HOME: dir, AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_ACCESS_KEY_ID: h.env.ak, AWS_SECRET_ACCESS_KEY: h.env.sk, AWS_DEFAULT_REGION: 'us-east-1', AWS_CA_BUNDLE: h.ca },
      });
      assert.ok(readFileSync(join(dir, 'results-back.nc')).equals(body));
      assert.ok(readFileSync(join(dir, 'private-back.nc')).equals(body));
      assert.equal(await mode(bucket, 'results.nc'), 'AES256');
      assert.equal(await mode(bucket, 'private.nc', readFileSync(join(dir, 'sse-c.key'))), 'SSE-C');
      assertNotOnDisk(`aws${ver}`);
    });
  }

  test('rclone: server_side_encryption and sse_customer_key, the docs blocks `ini rclone-sse.conf` and `ini rclone-sse-c.conf`', { skip: have('rclone') ? false : 'rclone is not installed' }, async () => {
    const bucket = 'sse-rclone';
    await sdk.send(new CreateBucketCommand({ Bucket: bucket }));
    const dir = mkdtempSync(join(work, 'rclone-'));
    const sseCKey = randomBytes(16).toString('hex'); // 32 characters
    const conf = join(dir, 'rclone.conf');
    writeFileSync(conf, snippet(PAGE, 'rclone-sse.conf', vars(bucket)) + '\n' + snippet(PAGE, 'rclone-sse-c.conf', vars(bucket, { SSE_C_KEY: sseCKey })));
    mkdirSync(join(dir, 'src'));
    const body = marked('rclone');
    writeFileSync(join(dir, 'src', 'results.nc'), body);
    const env = { ...process.env };
    delete env.AWS_CA_BUNDLE; // rclone refuses to start with it set
    const rclone = (...args: string[]) => run('rclone', ['--config', conf, '--ca-cert', h.ca, ...args], { env, cwd: dir, timeoutMs: 240_000 });
    for (const remote of ['granary-sse', 'granary-sse-c']) {
      rclone('copy', join(dir, 'src'), `${remote}:${bucket}/${remote}`);
      rclone('check', join(dir, 'src'), `${remote}:${bucket}/${remote}`);
      rclone('copy', `${remote}:${bucket}/${remote}`, join(dir, `back-${remote}`));
      assert.ok(readFileSync(join(dir, `back-${remote}`, 'results.nc')).equals(body), remote);
    }
    assert.equal(await mode(bucket, 'granary-sse/results.nc'), 'AES256');
    assert.equal(await mode(bucket, 'granary-sse-c/results.nc', Buffer.from(sseCKey)), 'SSE-C');
    assertNotOnDisk('rclone');
  });

  test('boto3: ServerSideEncryption and SSECustomerKey, the docs block `python boto3-sse`', async () => {
    const bucket = 'sse-boto3';
    await sdk.send(new CreateBucketCommand({ Bucket: bucket }));
    const client = snippet('boto3.md', 'boto3', h.vars).replace(`"http://${h.vars.EP}"`, `"https://${h.vars.EXT_EP}"`);
    const calls = snippet(PAGE, 'boto3-sse', vars(bucket)).replaceAll('b"..."', 'b"SSE-COMPAT-boto3-MARKER/" * 20000');
    const check = '\nassert data == b"SSE-COMPAT-boto3-MARKER/" * 20000\nprint("KEY", key.hex())\n';
    const r = run('python3', ['-c', client + '\n' + calls + check], { timeoutMs: 120_000, env: { ...process.env, AWS_CA_BUNDLE: h.ca, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' } });
    assert.match(r.stdout, /^AES256$/m);
    const key = Buffer.from(/^KEY ([0-9a-f]{64})$/m.exec(r.stdout)![1]!, 'hex');
    assert.equal(await mode(bucket, 'results.nc'), 'AES256');
    assert.equal(await mode(bucket, 'private.nc', key), 'SSE-C');
    assertNotOnDisk('boto3');
  });

  test('@aws-sdk/client-s3: the docs block `js sdk-sse`', async () => {
    const bucket = 'sse-sdk';
    await sdk.send(new CreateBucketCommand({ Bucket: bucket }));
    const dir = mkdtempSync(join(work, 'sdk-'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    const code = snippet(PAGE, 'sdk-sse', vars(bucket)).replaceAll("Body: 'data'", "Body: 'SSE-COMPAT-sdk-MARKER/'.repeat(20000)");
    writeFileSync(join(dir, 'sse.mjs'), code + "\nconsole.log('KEY', key.toString('hex'));\n");
    const r = run(process.execPath, [join(dir, 'sse.mjs')], { cwd: dir, timeoutMs: 120_000, env: { ...process.env, NODE_EXTRA_CA_CERTS: h.ca } });
    assert.ok(r.stdout.startsWith('SSE-COMPAT-sdk-MARKER/'.repeat(20000)));
    const key = Buffer.from(/^KEY ([0-9a-f]{64})$/m.exec(r.stdout)![1]!, 'hex');
    assert.equal(await mode(bucket, 'results.nc'), 'AES256');
    assert.equal(await mode(bucket, 'private.nc', key), 'SSE-C');
    const got = await sdk.send(new GetObjectCommand({ Bucket: bucket, Key: 'results.nc' }));
    assert.equal(createHash('md5').update(await got.Body!.transformToByteArray()).digest('hex'), got.ETag!.slice(1, -1), 'SSE-S3 ETag is the MD5');
    assertNotOnDisk('sdk');
  });
});
