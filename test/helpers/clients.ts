/** Ready-made clients for a TestServer. */
import { S3Client } from '@aws-sdk/client-s3';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import type { TestServer } from './server.js';

export function sdkClient(s: TestServer, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client {
  return new S3Client({
    endpoint: s.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s.accessKey, secretAccessKey: s.secretKey },
    ...extra,
  });
}

/** Environment for the AWS CLI and boto3 pointing at the server. */
export function awsEnv(s: TestServer, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: s.accessKey,
    AWS_SECRET_ACCESS_KEY: s.secretKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: s.url,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    ...extra,
  };
}

/** Runs a program, failing with its output when it exits non-zero (unless allowFailure). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; allowFailure?: boolean; cwd?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { env: opts.env ?? process.env, input: opts.input, encoding: 'utf8', cwd: opts.cwd, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 });
  if (!opts.allowFailure && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status} (${r.signal ?? ''}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}${r.error ? '\nerror: ' + r.error.message : ''}`);
  }
  return r;
}
