/**
 * minio-go v7 (the library `mc` is built on), from Debian's golang-github-minio-minio-go-v7-dev in GOPATH
 * mode without network: test/compat/go/main.go.tmpl with the `go minio-go` block of docs/clients/minio.md
 * pasted in, run with `go run`. Skipped, with the reason, when Go or the library is missing.
 */
import { after, before, test } from 'node:test';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/server.js';
import { run } from '../helpers/clients.js';
import { awkwardObjects, compatEnv, MANY, putMany, snippet, type CompatEnv } from '../helpers/compat.js';

const GOPATH = '/usr/share/gocode';
const skip = !existsSync('/usr/bin/go')
  ? 'golang-go is not installed (scripts/install-test-deps.sh installs it)'
  : !existsSync(join(GOPATH, 'src/github.com/minio/minio-go/v7'))
    ? 'golang-github-minio-minio-go-v7-dev is not installed (scripts/install-test-deps.sh installs it)'
    : false;

let env: CompatEnv;
let work: string;
before(async () => {
  if (skip) return;
  env = await compatEnv('minio-go');
  work = mkdtempSync(join(tmpdir(), 'granary-compat-go-'));
});
after(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('minio-go v7: the docs block `go minio-go`', { skip }, async () => {
  const tmpl = readFileSync(join(REPO_ROOT, 'test/compat/go/main.go.tmpl'), 'utf8');
  const code = tmpl.replace('// SNIPPET', snippet('minio.md', 'minio-go', env.vars).trim());
  const dir = join(work, 'prog');
  mkdirSync(dir);
  writeFileSync(join(dir, 'main.go'), code);
  const awkward = JSON.stringify(Object.fromEntries(Object.entries(awkwardObjects()).map(([k, v]) => [k, v.toString()])));
  // The 2,000-entry directory lives in a bucket filled beforehand; the program lists it.
  await env.sdk.send(new CreateBucketCommand({ Bucket: 'minio-go-many' }));
  await putMany(env.sdk, 'minio-go-many');
  const goEnv = { ...process.env, GOPATH, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(tmpdir(), 'granary-compat-gocache'), CGO_ENABLED: '0' };
  run('go', ['run', 'main.go', 'minio-go', awkward, 'minio-go-many', 'many/', String(MANY)], { env: goEnv, cwd: dir, timeoutMs: 300_000 });
});
