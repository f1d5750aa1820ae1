/**
 * The MinIO JavaScript SDK built by the `js minio-js` block of docs/clients/minio.md (the block is turned
 * into a module and imported): makeBucket, fPutObject (multipart), listObjectsV2 over a 2,000-entry
 * "directory", copyObject, presignedGetObject, removeObjects, with awkward keys.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Minio from 'minio';
import { REPO_ROOT } from '../helpers/server.js';
import { sha256 } from '../helpers/tree.js';
import { awkwardObjects, compatEnv, MANY, putMany, snippet, type CompatEnv } from '../helpers/compat.js';

let env: CompatEnv;
let work: string;
before(async () => {
  env = await compatEnv('minio-js');
  // Inside the repo so the snippet's `import 'minio'` resolves from node_modules.
  work = mkdtempSync(join(REPO_ROOT, 'test/compat/.tmp-minio-'));
});
after(async () => {
  await env?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function clientFromDocs(): Promise<Minio.Client> {
  const [host, port] = env.ep.split(':');
  const code = snippet('minio.md', 'minio-js', { ...env.vars, HOST: host, PORT: port }) + '\nexport default client;\n';
  const file = join(work, 'client.mjs');
  writeFileSync(file, code);
  return (await import(pathToFileURL(file).href)).default as Minio.Client;
}

const collect = <T>(s: NodeJS.ReadableStream): Promise<T[]> =>
  new Promise((res, rej) => {
    const out: T[] = [];
    s.on('data', (d: T) => out.push(d));
    s.on('end', () => res(out));
    s.on('error', rej);
  });

test('MinIO JS SDK: the docs block `js minio-js`', async () => {
  const mc = await clientFromDocs();
  const bucket = 'minio-js';
  await mc.makeBucket(bucket, 'us-east-1');
  assert.ok(await mc.bucketExists(bucket));
  const objs = awkwardObjects();
  for (const [k, v] of Object.entries(objs)) await mc.putObject(bucket, `awk/${k}`, v);
  const listed = await collect<{ name: string }>(mc.listObjectsV2(bucket, 'awk/', true));
  assert.deepEqual(listed.map((o) => o.name).sort(), Object.keys(objs).map((k) => `awk/${k}`).sort());
  for (const [k, v] of Object.entries(objs)) {
    const body = Buffer.concat(await collect<Buffer>(await mc.getObject(bucket, `awk/${k}`)));
    assert.deepEqual(body, v, k);
  }
  // fPutObject of a file big enough for multipart.
  const big = randomBytes(70 * 1024 * 1024);
  writeFileSync(join(work, 'big.bin'), big);
  await mc.fPutObject(bucket, 'big/a+b ü.bin', join(work, 'big.bin'));
  await mc.fGetObject(bucket, 'big/a+b ü.bin', join(work, 'big.back'));
  assert.equal(sha256(readFileSync(join(work, 'big.back'))), sha256(big));
  // copyObject with an awkward source.
  const src = 'awk/amp&ersand/x&y.txt';
  await mc.copyObject(bucket, 'copy/x&y.txt', `/${bucket}/${src}`);
  assert.equal(Buffer.concat(await collect<Buffer>(await mc.getObject(bucket, 'copy/x&y.txt'))).toString(), objs['amp&ersand/x&y.txt'].toString());
  // presignedGetObject, fetched anonymously.
  const url = await mc.presignedGetObject(bucket, 'awk/literal%2Fslash.txt', 600);
  const r = await fetch(url);
  assert.equal(r.status, 200, await r.clone().text());
  assert.equal(await r.text(), objs['literal%2Fslash.txt'].toString());
  // 2,000 entries, listed completely (non-recursive, under the prefix).
  await putMany(env.sdk, bucket);
  const many = await collect<{ name?: string }>(mc.listObjectsV2(bucket, 'many/', false));
  assert.equal(many.length, MANY);
  // removeObjects (multi-object delete) of everything, then the bucket.
  const all = (await collect<{ name: string }>(mc.listObjectsV2(bucket, '', true))).map((o) => o.name);
  await mc.removeObjects(bucket, all);
  assert.equal((await collect(mc.listObjectsV2(bucket, '', true))).length, 0);
  await mc.removeBucket(bucket);
});
