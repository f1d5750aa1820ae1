/**
 * Issue 15 #4: the process exited on the first log line it could not write, so a full log volume turned
 * a full disk into a total outage. Here the server's log goes to /dev/full (every write fails with
 * ENOSPC) and, separately, to a pipe whose reader goes away (EPIPE); it must keep serving, with work that
 * logs (the blob sweeper reports each pass) going on meanwhile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { REPO_ROOT } from '../helpers/server.js';

const ACCESS = 'GRLOGTEST0000000001';
const SECRET = 'log-test-secret-0123456789abcdefghij';

interface Started {
  proc: ChildProcess;
  port: number;
  exited: Promise<number | null>;
}

/** Starts `granary serve` with the given stderr; the port is read from stdout (a pipe). */
async function start(dataDir: string, stderr: number | 'pipe'): Promise<Started> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'serve', '--data', dataDir, '--listen', '127.0.0.1:0'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      GRANARY_ADMIN_PASSWORD: 'admin-password-for-tests',
      GRANARY_ACCESS_KEY: ACCESS,
      GRANARY_SECRET_KEY: SECRET,
      // Every request's work is logged at info: the sweeper's passes, start-up, shutdown.
      GRANARY_LOG_LEVEL: 'debug',
      GRANARY_SWEEP_INTERVAL_MS: '100',
      GRANARY_QUEUED_DELETE_DELAY_MS: '0',
    },
    stdio: ['ignore', 'pipe', stderr],
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Granary S3 endpoint: http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening: ${out}`));
    });
  });
  return { proc, port, exited };
}

/** Work that makes the server log: blobs written and deleted, so the sweeper has passes to report. */
async function churn(port: number, rounds: number): Promise<void> {
  const s3 = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ACCESS, secretAccessKey: SECRET } });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'logs' })).catch(() => undefined);
    for (let i = 0; i < rounds; i++) {
      await s3.send(new PutObjectCommand({ Bucket: 'logs', Key: `k${i}`, Body: Buffer.alloc(256 * 1024, i) }));
      await s3.send(new DeleteObjectCommand({ Bucket: 'logs', Key: `k${i}` }));
      await new Promise((r) => setTimeout(r, 150)); // a sweeper pass (and its log line) in between
    }
  } finally {
    s3.destroy();
  }
}

async function healthy(port: number): Promise<boolean> {
  const r = await fetch(`http://127.0.0.1:${port}/_admin/health`);
  return r.status === 200;
}

test('a log on a full volume (ENOSPC on every write) does not stop the server', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'granary-logfull-'));
  const full = openSync('/dev/full', 'w');
  let s: Started | undefined;
  try {
    s = await start(dataDir, full);
    await churn(s.port, 5);
    assert.equal(s.proc.exitCode, null, 'the server is still running');
    assert.ok(await healthy(s.port));
  } finally {
    closeSync(full);
    s?.proc.kill('SIGTERM');
    await s?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a log pipe whose reader went away (EPIPE) does not stop the server', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'granary-logpipe-'));
  let s: Started | undefined;
  try {
    s = await start(dataDir, 'pipe');
    // The log reader (a crashed log shipper, a closed terminal) goes away; so does the stdout reader.
    s.proc.stderr!.destroy();
    s.proc.stdout!.destroy();
    await churn(s.port, 5);
    assert.equal(s.proc.exitCode, null, 'the server is still running');
    assert.ok(await healthy(s.port));
  } finally {
    s?.proc.kill('SIGTERM');
    await s?.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
