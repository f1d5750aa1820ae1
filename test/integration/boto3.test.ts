/**
 * boto3 (current botocore, on PATH) against the real server, once with request_checksum_calculation
 * "when_required" and once with the default (CRC32 trailers on aws-chunked bodies).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, REPO_ROOT, type TestServer } from '../helpers/server.js';
import { awsEnv, run } from '../helpers/clients.js';

const SCRIPT = join(REPO_ROOT, 'test/integration/py/boto3_flow.py');
let server: TestServer;
let work: string;

before(async () => {
  server = await startServer();
  work = mkdtempSync(join(tmpdir(), 'granary-boto3-'));
});
after(async () => {
  await server?.stop();
  server?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

const summaries: Record<string, { default_presign?: string }> = {};

for (const mode of ['when_required', 'default'] as const) {
  test(`boto3 flow (${mode})`, () => {
    const bucket = `boto3-${mode.replace('_', '-')}-${process.pid}`;
    const dir = mkdtempSync(join(work, mode + '-'));
    const r = run('python3', [SCRIPT, server.url, bucket, mode, dir], { env: awsEnv(server), allowFailure: true, timeoutMs: 180_000 });
    assert.equal(r.status, 0, `boto3 flow failed:\n${r.stdout}\n${r.stderr}\nserver:\n${server.output().slice(-3000)}`);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(summary.ok, true);
    assert.equal(summary.listed, 1200);
    summaries[mode] = summary;
  });
}

// botocore's generate_presigned_url with the CLIENTS.md client (no signature_version) makes a SigV2
// query-auth URL (AWSAccessKeyId/Signature/Expires): Granary must accept it.
test('boto3 default generate_presigned_url (SigV2 query auth) works', () => {
  const s = summaries['when_required'];
  assert.ok(s, 'the boto3 flow ran');
  assert.equal(s.default_presign, 'ok');
});
