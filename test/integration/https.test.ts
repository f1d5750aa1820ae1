/**
 * The external HTTPS listener: a certificate made by `granary cert`, @aws-sdk/client-s3 trusting the
 * test CA, the same data on both endpoints, `aws:SecureTransport` telling them apart, and certificate
 * reload without restart (file replaced on disk; SIGHUP; a bad certificate keeps the old one).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { REPO_ROOT, startServer, type TestServer } from '../helpers/server.js';
import { run, sdkClient } from '../helpers/clients.js';

let server: TestServer;
let work: string;
let ca: Buffer;
/** The served paths are symlinks in `live/` to files in a version directory (see the SIGHUP test). */
let live: string;

function granaryCert(out: string, extra: string[] = []): void {
  run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'cert', '--out', out, '--hosts', 'localhost,127.0.0.1,*.s3-ext.localhost,*.s3.localhost', ...extra], { cwd: REPO_ROOT });
}

function httpsClient(): S3Client {
  return sdkClient(server, {
    endpoint: server.httpsUrl!,
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca, keepAlive: false }) }),
  });
}

/** SHA-256 fingerprint of the certificate a fresh TLS handshake gets. */
function servedFingerprint(): Promise<string> {
  const port = Number(new URL(server.httpsUrl!).port);
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

function fileFingerprint(pem: string): string {
  const out = run('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: readFileSync(pem, 'utf8') }).stdout;
  return out.trim().split('=')[1]!;
}

async function waitFor(cond: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}\n${server.output().slice(-2000)}`);
}

/** Points live/cert.pem and live/key.pem at `dir` by renaming new symlinks over the old ones. */
function pointLiveAt(dir: string): void {
  for (const f of ['key.pem', 'cert.pem']) {
    const tmp = join(live, `.${f}.new`);
    symlinkSync(join(dir, f), tmp);
    renameSync(tmp, join(live, f));
  }
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'granary-https-'));
  granaryCert(join(work, 'v1'));
  ca = readFileSync(join(work, 'v1', 'ca.pem'));
  live = join(work, 'live');
  rmSync(live, { recursive: true, force: true });
  run('mkdir', ['-p', live]);
  pointLiveAt(join(work, 'v1'));
  server = await startServer({
    args: ['--listen-https', '127.0.0.1:0', '--tls-cert', join(live, 'cert.pem'), '--tls-key', join(live, 'key.pem')],
    // The periodic check is a fallback; these tests must see fs.watch and SIGHUP do the work.
    env: { GRANARY_TLS_RELOAD_INTERVAL_MS: '600000', GRANARY_LOG_LEVEL: 'info' },
  });
});

after(async () => {
  await server?.stop();
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('startup prints both endpoints', () => {
  assert.match(server.output(), /Granary S3 endpoint: http:\/\/127\.0\.0\.1:\d+\n/);
  assert.match(server.output(), /Granary S3 endpoint \(HTTPS\): https:\/\/127\.0\.0\.1:\d+\n/);
  assert.ok(server.httpsUrl);
});

test('the same data over HTTP and HTTPS', async () => {
  const http = sdkClient(server);
  const https = httpsClient();
  const bucket = `https-same-${process.pid}`;
  await http.send(new CreateBucketCommand({ Bucket: bucket }));
  await http.send(new PutObjectCommand({ Bucket: bucket, Key: 'via http', Body: 'plain' }));
  await https.send(new PutObjectCommand({ Bucket: bucket, Key: 'via https', Body: 'secure' }));
  assert.equal(await (await https.send(new GetObjectCommand({ Bucket: bucket, Key: 'via http' }))).Body!.transformToString(), 'plain');
  assert.equal(await (await http.send(new GetObjectCommand({ Bucket: bucket, Key: 'via https' }))).Body!.transformToString(), 'secure');
});

test('aws:SecureTransport: a policy denying writes over plain HTTP', async () => {
  const http = sdkClient(server);
  const https = httpsClient();
  const bucket = `https-only-${process.pid}`;
  await http.send(new CreateBucketCommand({ Bucket: bucket }));
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${bucket}/*`, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ],
  };
  await http.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
  await assert.rejects(http.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' })), (e: Error) => e.name === 'AccessDenied');
  await https.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'y' }));
  // Reads are not affected by the policy, on either endpoint.
  assert.equal(await (await http.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))).Body!.transformToString(), 'y');
});

test('a certificate replaced on disk is served to new connections without restart', async () => {
  assert.equal(await servedFingerprint(), fileFingerprint(join(work, 'v1', 'cert.pem')));
  granaryCert(join(work, 'v2'), ['--ca-dir', join(work, 'v1')]);
  const want = fileFingerprint(join(work, 'v2', 'cert.pem'));
  pointLiveAt(join(work, 'v2'));
  await waitFor(async () => (await servedFingerprint()) === want, 'the new certificate (file change)');
  const https = httpsClient();
  const bucket = `https-reload-${process.pid}`;
  await https.send(new CreateBucketCommand({ Bucket: bucket }));
  await https.send(new PutObjectCommand({ Bucket: bucket, Key: 'after-reload', Body: 'ok' }));
});

test('SIGHUP reloads; a bad certificate is logged and the old one kept', async () => {
  // Overwrite the files the symlinks point at (v2/) in place: the watched directory (live/) sees no
  // change, and the periodic check is off, so only SIGHUP can pick this up.
  const before = await servedFingerprint();
  granaryCert(join(work, 'v3'), ['--ca-dir', join(work, 'v1')]);
  const want = fileFingerprint(join(work, 'v3', 'cert.pem'));
  writeFileSync(join(work, 'v2', 'key.pem'), readFileSync(join(work, 'v3', 'key.pem')));
  writeFileSync(join(work, 'v2', 'cert.pem'), readFileSync(join(work, 'v3', 'cert.pem')));
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(await servedFingerprint(), before, 'not reloaded without a signal');
  server.proc.kill('SIGHUP');
  await waitFor(async () => (await servedFingerprint()) === want, 'the new certificate (SIGHUP)');

  writeFileSync(join(work, 'v2', 'cert.pem'), '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
  server.proc.kill('SIGHUP');
  await waitFor(async () => server.output().includes('TLS certificate reload failed'), 'the reload failure in the log');
  assert.equal(await servedFingerprint(), want, 'the old certificate is kept');
  const https = httpsClient();
  await https.send(new CreateBucketCommand({ Bucket: `https-kept-${process.pid}` }));
});

test('graceful shutdown closes both listeners', async () => {
  const port = Number(new URL(server.httpsUrl!).port);
  assert.equal(await server.stop(), 0);
  await assert.rejects(servedFingerprint(), /ECONNREFUSED/);
  await assert.rejects(fetch(`${server.url}/_admin/health`));
  assert.ok(port > 0);
});
