/**
 * `npm run bench`: Granary against a plain Node.js baseline server (bench/baseline-server.ts), one run, same
 * client, same disk, each workload on the baseline and then at once on Granary. Prints a table (figure,
 * baseline, ratio, target, PASS/BELOW) and writes bench/results/latest.json. Exits 0 when figures are merely
 * below target; non-zero when something broke (an HTTP error, wrong bytes, a server that would not start).
 *
 * Environment:
 *   GRANARY_BENCH_SERVER    command that starts Granary (default `node dist/src/main.js`); `serve --data … --listen …`
 *                           is appended. E.g. `node --cpu-prof --cpu-prof-dir=/tmp/prof dist/src/main.js`.
 *   GRANARY_BENCH_BASELINE  command that starts the baseline (default `node dist/bench/baseline-server.js`, or the
 *                           .ts file through tsx when run.ts itself runs under tsx)
 *   GRANARY_BENCH_ONLY      comma list of workloads to run: large,small,list,multipart,https,sse,metrics,listscale,scaleout,ceiling (default all;
 *                           metrics = the 4 KiB PUT/GET load on two fresh Granary servers, metrics off and on (scraped
 *                           every second), in four alternating rounds: what metrics cost the request path
 *                           (GRANARY_BENCH_METRICS_AA=1: both sides off, an A/A run showing the noise floor;
 *                           GRANARY_BENCH_METRICS_LOGS=1: the "on" side also writes the access log, level info, to a file);
 *                           ceiling = 4 KiB and 1 MiB ranged GETs from bench/ceiling-server.ts, which answers from
 *                           memory: what this client and machine can show at all;
 *                           https = 64 MiB PUT/GET over HTTPS vs HTTP on one Granary with both listeners;
 *                           listscale = bench/list-scale.ts, ListObjectsV2 on a 1,000,000-key bucket vs a 10,000-key one,
 *                           on SQLite and (when its binaries are here) PostgreSQL;
 *                           scaleout = bench/scale-out.ts, skipped with a note without PostgreSQL or haproxy)
 *                           ab = this build against another one (GRANARY_BENCH_AB: the command starting it, e.g.
 *                           `node /tmp/main/dist/src/main.js`), the 4 KiB PUT/GET load and the 10,000-key listing in
 *                           four alternating rounds (not in the default set)
 *   GRANARY_BENCH_SECONDS   scale factor for the timed phases (default 1: 10 s / 5 s phases)
 */
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, HttpError } from './lib/client.js';
import { LeanGetClient } from './lib/lean-get.js';
import { HeaderSigner as Signer } from '../src/iam/sigv4/sign.js';
import { runScaleOut, scaleOutUnavailable, type ScaleOutResult } from './scale-out.js';
import { postgresUnavailable, runListScale, type ListScaleResult } from './list-scale.js';
import { cpuSeconds, systemBusySeconds, killAll, resetPeakRss, sampleRss, splitCommand, startServer, statusKiB, stopServer, type Server } from './lib/procs.js';

const MiB = 1024 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
// dist/bench/run.js → project root is two levels up; bench/run.ts under tsx → one level up.
const fromDist = basename(dirname(here)) === 'dist';
const root = fromDist ? resolve(here, '../..') : resolve(here, '..');
const resultsDir = join(root, 'bench', 'results');

const SCALE = Number(process.env.GRANARY_BENCH_SECONDS ?? '1') || 1;
const ONLY = new Set((process.env.GRANARY_BENCH_ONLY ?? 'large,small,list,multipart,https,sse,metrics,listscale,scaleout,ceiling').split(',').map((s) => s.trim()));
const CREDS = { accessKeyId: 'benchAccessKey01', secretKey: 'bench-secret-key-0123456789', region: 'us-east-1' };
const BUCKET = 'bench';

class DataError extends Error {}

function now(): bigint {
  return process.hrtime.bigint();
}
function secsSince(t0: bigint): number {
  return Number(now() - t0) / 1e9;
}
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer): Buffer => createHash('md5').update(b).digest();

// ---- test data: one random buffer, objects are windows into it ---------------------------------------------
const POOL = randomBytes(72 * MiB);
const poolChunks = (offset: number, size: number): Buffer[] => {
  const out: Buffer[] = [];
  for (let o = 0; o < size; o += MiB) out.push(POOL.subarray(offset + o, offset + Math.min(o + MiB, size)));
  return out;
};
const LARGE_N = 8;
const LARGE_SIZE = 64 * MiB;
const largeBody = (i: number): Buffer[] => poolChunks(i * MiB, LARGE_SIZE);
const largeWhole = (i: number): Buffer => POOL.subarray(i * MiB, i * MiB + LARGE_SIZE);
const SMALL = 4096;
const smallBody = (i: number): Buffer => {
  const off = (i * SMALL + (i >> 7)) % (POOL.length - SMALL);
  return POOL.subarray(off, off + SMALL);
};
const RANGED_SIZE = 256 * MiB;
// chunk j of the 256 MiB object is pool MiB (j % 71)
const rangedChunk = (j: number): Buffer => POOL.subarray((j % 71) * MiB, (j % 71) * MiB + MiB);
const PART_SIZE = 16 * MiB;
const PARTS = 64;
const partBody = (n: number): Buffer => POOL.subarray(((n * 7) % 56) * MiB, ((n * 7) % 56) * MiB + PART_SIZE);

// ---- measurement helpers ------------------------------------------------------------------------------------
interface Phase {
  seconds: number;
  ops: number;
  bytes: number;
  serverCpuPct: number;
  clientCpuPct: number;
  /** CPU used by everything else on the machine meanwhile (other sessions, kernel work for the disk) */
  otherCpuPct: number;
}

function cpuStart(server: Server): () => { seconds: number; serverCpuPct: number; clientCpuPct: number; otherCpuPct: number } {
  const c0 = cpuSeconds(server.pid);
  const s0 = systemBusySeconds();
  const u0 = process.cpuUsage();
  const t0 = now();
  return () => {
    const seconds = secsSince(t0);
    const u = process.cpuUsage(u0);
    const srv = cpuSeconds(server.pid) - c0;
    const cli = (u.user + u.system) / 1e6;
    const all = systemBusySeconds() - s0;
    return { seconds, serverCpuPct: (srv / seconds) * 100, clientCpuPct: (cli / seconds) * 100, otherCpuPct: Math.max(0, ((all - srv - cli) / seconds) * 100) };
  };
}

/** Runs `op(i)` with `concurrency` workers until `maxOps` or `maxSeconds`; measures server and client CPU. */
async function closedLoop(server: Server, concurrency: number, maxOps: number, maxSeconds: number, op: (i: number) => Promise<number>): Promise<Phase> {
  let next = 0;
  let bytes = 0;
  const cpu = cpuStart(server);
  const t0 = now();
  const deadline = t0 + BigInt(Math.round(maxSeconds * 1e9));
  const worker = async (): Promise<void> => {
    while (next < maxOps && now() < deadline) {
      const n = await op(next++); // not `bytes += await …`: that reads `bytes` before the await and loses updates
      bytes += n;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ops: next, bytes, ...cpu() };
}

/** A timed-loop GET through the lean client (lib/lean-get.ts): the body is counted; throws unless `ok`. */
async function leanGet(lean: LeanGetClient, path: string, ok: number, what: string, headers?: Record<string, string>): Promise<number> {
  const r = await lean.get(path, headers);
  if (r.status !== ok) throw new HttpError(r.status, `${what} GET /${path}`, r.errorBody ?? '');
  return r.bytes;
}

interface Measures {
  [key: string]: Phase | number | string | boolean | undefined;
}

// ---- workloads ----------------------------------------------------------------------------------------------
async function large(cl: Client, server: Server, s3: boolean, m: Measures, md5s: Buffer[]): Promise<void> {
  const put = await closedLoop(server, 1, LARGE_N, 1e9, async (i) => {
    const r = await cl.expect({ method: 'PUT', path: `${BUCKET}/large/${i}`, body: largeBody(i) }, [200], 'large PUT');
    if (s3) {
      const etag = String(r.headers.etag ?? '');
      if (etag !== `"${md5s[i]!.toString('hex')}"`) throw new DataError(`64 MiB PUT #${i}: ETag ${etag} is not the MD5 ${md5s[i]!.toString('hex')}`);
    }
    return LARGE_SIZE;
  });
  m.largePut = put;
  m.largePutMiBs = put.bytes / MiB / put.seconds;
  const get = await closedLoop(server, 1, LARGE_N, 1e9, async (i) => {
    const r = await cl.expect({ method: 'GET', path: `${BUCKET}/large/${i}` }, [200], 'large GET');
    if (r.bytes !== LARGE_SIZE) throw new DataError(`64 MiB GET #${i}: ${r.bytes} bytes`);
    return r.bytes;
  });
  m.largeGet = get;
  m.largeGetMiBs = get.bytes / MiB / get.seconds;
  for (const i of [0, LARGE_N - 1]) {
    const r = await cl.expect({ method: 'GET', path: `${BUCKET}/large/${i}`, sink: 'sha256' }, [200], 'large GET verify');
    if (r.sha256 !== sha256(largeWhole(i))) throw new DataError(`64 MiB GET #${i}: bytes differ from what was PUT`);
  }
}

async function small(cl: Client, server: Server, m: Measures): Promise<void> {
  const put = await closedLoop(server, 32, 20_000, 10 * SCALE, async (i) => {
    await cl.expect({ method: 'PUT', path: `${BUCKET}/small/${String(i).padStart(6, '0')}`, body: smallBody(i) }, [200], 'small PUT');
    return SMALL;
  });
  m.smallPut = put;
  m.smallPutOps = put.ops / put.seconds;
  const n = put.ops;
  const lean = new LeanGetClient(server.url, new Signer(CREDS), 64 * 1024);
  const get = await closedLoop(server, 32, 1e9, 10 * SCALE, async () => {
    const i = Math.floor(Math.random() * n);
    const bytes = await leanGet(lean, `${BUCKET}/small/${String(i).padStart(6, '0')}`, 200, 'small');
    if (bytes !== SMALL) throw new DataError(`4 KiB GET #${i}: ${bytes} bytes`);
    return SMALL;
  }).finally(() => lean.close());
  m.smallGet = get;
  m.smallGetOps = get.ops / get.seconds;
  for (const i of [0, n - 1]) {
    const r = await cl.expect({ method: 'GET', path: `${BUCKET}/small/${String(i).padStart(6, '0')}`, sink: 'sha256' }, [200], 'small GET verify');
    if (r.sha256 !== sha256(smallBody(i))) throw new DataError(`4 KiB GET #${i}: bytes differ from what was PUT`);
  }
}

async function list(cl: Client, server: Server, m: Measures): Promise<void> {
  const N = 10_000;
  const body = POOL.subarray(0, 16);
  await closedLoop(server, 32, N, 1e9, async (i) => {
    await cl.expect({ method: 'PUT', path: `${BUCKET}/list/${String(i).padStart(5, '0')}`, body }, [200], 'list setup PUT');
    return 0;
  });
  const listAll = async (check: boolean): Promise<number> => {
    let token: string | undefined;
    let keys = 0;
    let last = '';
    for (;;) {
      const query: Array<[string, string]> = [['list-type', '2'], ['prefix', 'list/'], ['max-keys', '1000']];
      if (token) query.push(['continuation-token', token]);
      const r = await cl.expect({ method: 'GET', path: BUCKET, query, sink: 'collect' }, [200], 'ListObjectsV2');
      const xml = r.body!.toString('utf8');
      const count = Number(/<KeyCount>(\d+)<\/KeyCount>/.exec(xml)?.[1] ?? NaN);
      if (!Number.isFinite(count)) throw new DataError('ListObjectsV2: no KeyCount');
      if (check) {
        for (const km of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) {
          if (km[1]! <= last) throw new DataError(`ListObjectsV2: ${km[1]} after ${last}`);
          last = km[1]!;
        }
      }
      keys += count;
      const t = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
      if (!/<IsTruncated>true<\/IsTruncated>/.test(xml)) break;
      if (!t) throw new DataError('ListObjectsV2: truncated without NextContinuationToken');
      token = t.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'");
    }
    return keys;
  };
  const first = await listAll(true);
  if (first !== N) throw new DataError(`ListObjectsV2 listed ${first} keys, expected ${N}`);
  const ph = await closedLoop(server, 1, 1e9, 5 * SCALE, async () => {
    return listAll(false);
  });
  // closedLoop counts "bytes" as the returned number: here, keys
  m.list = ph;
  m.listKeysPerSec = ph.bytes / ph.seconds;
}

async function multipart(cl: Client, server: Server, m: Measures, partMd5s: () => Buffer[]): Promise<void> {
  const key = `${BUCKET}/multipart/1GiB`;
  const create = await cl.request({ method: 'POST', path: key, query: [['uploads', '']], sink: 'collect' });
  const uploadId = create.status === 200 ? /<UploadId>([^<]+)<\/UploadId>/.exec(create.body?.toString('utf8') ?? '')?.[1] : undefined;
  if (!uploadId) {
    m.multipart = 'skipped: multipart not implemented';
    return;
  }
  await cl.request({ method: 'DELETE', path: key, query: [['uploadId', uploadId]] }); // detection upload
  const md5s = partMd5s();

  const resetOk = resetPeakRss(server.pid);
  const rss = sampleRss(server.pid, 50);
  const etags: string[] = new Array(PARTS);
  const cpu = cpuStart(server);
  const r0 = await cl.expect({ method: 'POST', path: key, query: [['uploads', '']], sink: 'collect' }, [200], 'CreateMultipartUpload');
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(r0.body!.toString('utf8'))![1]!;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < PARTS) {
      const n = next++;
      const r = await cl.expect(
        { method: 'PUT', path: key, query: [['partNumber', String(n + 1)], ['uploadId', id]], body: poolChunks(((n * 7) % 56) * MiB, PART_SIZE) },
        [200],
        'UploadPart',
      );
      etags[n] = String(r.headers.etag ?? '');
      if (etags[n] !== `"${md5s[n]!.toString('hex')}"`) throw new DataError(`UploadPart ${n + 1}: ETag ${etags[n]} is not the part's MD5`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const xml =
    '<CompleteMultipartUpload>' + etags.map((e, n) => `<Part><PartNumber>${n + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('') + '</CompleteMultipartUpload>';
  const done = await cl.expect({ method: 'POST', path: key, query: [['uploadId', id]], body: Buffer.from(xml), sink: 'collect' }, [200], 'CompleteMultipartUpload');
  const phase = cpu();
  const seconds = phase.seconds;
  const sampled = rss.stop();
  const hwm = statusKiB(server.pid, 'VmHWM');
  const doneXml = done.body!.toString('utf8');
  if (/<Error>/.test(doneXml)) throw new HttpError(200, 'CompleteMultipartUpload', doneXml);
  const want = `"${md5(Buffer.concat(md5s)).toString('hex')}-${PARTS}"`;
  const got = /<ETag>([^<]+)<\/ETag>/.exec(doneXml)?.[1]?.replace(/&quot;/g, '"');
  if (got !== want) throw new DataError(`CompleteMultipartUpload ETag ${got}, expected ${want}`);
  m.multipart = { ops: PARTS, bytes: PARTS * PART_SIZE, ...phase };
  m.multipartMiBs = (PARTS * PART_SIZE) / MiB / seconds;
  m.multipartPeakRssMiB = (resetOk && Number.isFinite(hwm) ? Math.max(hwm, sampled) : sampled) / 1024;
  m.multipartRssMethod = resetOk ? 'VmHWM after clear_refs=5, and VmRSS every 50 ms' : 'VmRSS every 50 ms';
  // a ranged read across a part boundary, byte-compared
  const off = PART_SIZE - 1000;
  const rr = await cl.expect({ method: 'GET', path: key, headers: { range: `bytes=${off}-${off + 1999}` }, sink: 'collect' }, [206], 'multipart ranged GET');
  const expect = Buffer.concat([partBody(0).subarray(PART_SIZE - 1000), partBody(1).subarray(0, 1000)]);
  if (!rr.body!.equals(expect)) throw new DataError('ranged GET across a part boundary of the multipart object returned wrong bytes');
  await cl.request({ method: 'DELETE', path: key });
}

async function ranged(cl: Client, server: Server, m: Measures): Promise<void> {
  const key = `${BUCKET}/ranged/256MiB`;
  const chunks = Array.from({ length: RANGED_SIZE / MiB }, (_, j) => rangedChunk(j));
  await cl.expect({ method: 'PUT', path: key, body: chunks }, [200], 'ranged setup PUT');
  const lean = new LeanGetClient(server.url, new Signer(CREDS), MiB);
  const ph = await closedLoop(server, 16, 1e9, 10 * SCALE, async () => {
    const j = Math.floor(Math.random() * (RANGED_SIZE / MiB));
    const bytes = await leanGet(lean, key, 206, 'ranged', { range: `bytes=${j * MiB}-${j * MiB + MiB - 1}` });
    if (bytes !== MiB) throw new DataError(`ranged GET: ${bytes} bytes`);
    return bytes;
  }).finally(() => lean.close());
  m.ranged = ph;
  m.rangedMiBs = ph.bytes / MiB / ph.seconds;
  for (const j of [0, 200]) {
    const r = await cl.expect({ method: 'GET', path: key, headers: { range: `bytes=${j * MiB}-${j * MiB + MiB - 1}` }, sink: 'sha256' }, [206], 'ranged GET verify');
    if (r.sha256 !== sha256(rangedChunk(j))) throw new DataError(`ranged GET of MiB ${j}: wrong bytes`);
  }
}

/**
 * The external endpoint: one Granary with both listeners; 8 x 64 MiB PUT over HTTP, then over HTTPS, then GET
 * back over each (each scheme its own keys), sequential like `large`. Every ETag is checked against the MD5,
 * and the bytes of two GETs over HTTPS against the sha256 of what was PUT.
 */
async function tlsWorkload(plain: Client, tls: Client, server: Server, m: Measures, md5s: Buffer[]): Promise<void> {
  const schemes: Array<['Http' | 'Https', Client]> = [
    ['Http', plain],
    ['Https', tls],
  ];
  for (const [name, cl] of schemes) {
    const ph = await closedLoop(server, 1, LARGE_N, 1e9, async (i) => {
      const r = await cl.expect({ method: 'PUT', path: `${BUCKET}/tls-${name}/${i}`, body: largeBody(i) }, [200], `64 MiB PUT over ${name}`);
      const etag = String(r.headers.etag ?? '');
      if (etag !== `"${md5s[i]!.toString('hex')}"`) throw new DataError(`64 MiB PUT #${i} over ${name}: ETag ${etag} is not the MD5 ${md5s[i]!.toString('hex')}`);
      return LARGE_SIZE;
    });
    m[`tlsPut${name}`] = ph;
    m[`tlsPut${name}MiBs`] = ph.bytes / MiB / ph.seconds;
  }
  for (const [name, cl] of schemes) {
    const ph = await closedLoop(server, 1, LARGE_N, 1e9, async (i) => {
      const r = await cl.expect({ method: 'GET', path: `${BUCKET}/tls-${name}/${i}` }, [200], `64 MiB GET over ${name}`);
      if (r.bytes !== LARGE_SIZE) throw new DataError(`64 MiB GET #${i} over ${name}: ${r.bytes} bytes`);
      return r.bytes;
    });
    m[`tlsGet${name}`] = ph;
    m[`tlsGet${name}MiBs`] = ph.bytes / MiB / ph.seconds;
  }
  for (const i of [0, LARGE_N - 1]) {
    const r = await tls.expect({ method: 'GET', path: `${BUCKET}/tls-Https/${i}`, sink: 'sha256' }, [200], '64 MiB GET over HTTPS verify');
    if (r.sha256 !== sha256(largeWhole(i))) throw new DataError(`64 MiB GET #${i} over HTTPS: bytes differ from what was PUT`);
  }
  m.tlsPutRatio = (m.tlsPutHttpsMiBs as number) / (m.tlsPutHttpMiBs as number);
  m.tlsGetRatio = (m.tlsGetHttpsMiBs as number) / (m.tlsGetHttpMiBs as number);
}

/**
 * SSE-S3 against unencrypted on one fresh Granary, interleaved object by object so both sides of each ratio
 * see the same machine: 8 x 64 MiB PUT (clear, then encrypted, per object), the same GETs, then random 1 MiB
 * ranged GETs (c=16) of a 64 MiB clear and a 64 MiB encrypted object, alternating 1 s slices. ETags of SSE-S3
 * objects must still be the MD5; two encrypted GETs are checked byte for byte.
 */
async function sseWorkload(cl: Client, server: Server, m: Measures, md5s: Buffer[]): Promise<void> {
  const sides: Array<['Clear' | 'Sse', Record<string, string>]> = [
    ['Clear', {}],
    ['Sse', { 'x-amz-server-side-encryption': 'AES256' }],
  ];
  const totals: Record<string, { bytes: number; seconds: number }> = {};
  const add = (k: string, bytes: number, seconds: number): void => {
    const t = (totals[k] ??= { bytes: 0, seconds: 0 });
    t.bytes += bytes;
    t.seconds += seconds;
  };
  for (let i = 0; i < LARGE_N; i++) {
    for (const [name, headers] of sides) {
      const t0 = now();
      const r = await cl.expect({ method: 'PUT', path: `${BUCKET}/sse-${name}/${i}`, body: largeBody(i), headers }, [200], `64 MiB PUT (${name})`);
      add(`put${name}`, LARGE_SIZE, secsSince(t0));
      const etag = String(r.headers.etag ?? '');
      if (etag !== `"${md5s[i]!.toString('hex')}"`) throw new DataError(`64 MiB PUT #${i} (${name}): ETag ${etag} is not the MD5`);
      if (name === 'Sse' && r.headers['x-amz-server-side-encryption'] !== 'AES256') throw new DataError('SSE-S3 PUT answered without x-amz-server-side-encryption');
    }
  }
  for (let i = 0; i < LARGE_N; i++) {
    for (const [name] of sides) {
      const t0 = now();
      const r = await cl.expect({ method: 'GET', path: `${BUCKET}/sse-${name}/${i}` }, [200], `64 MiB GET (${name})`);
      add(`get${name}`, r.bytes, secsSince(t0));
      if (r.bytes !== LARGE_SIZE) throw new DataError(`64 MiB GET #${i} (${name}): ${r.bytes} bytes`);
    }
  }
  for (const i of [0, LARGE_N - 1]) {
    const r = await cl.expect({ method: 'GET', path: `${BUCKET}/sse-Sse/${i}`, sink: 'sha256' }, [200], 'SSE-S3 GET verify');
    if (r.sha256 !== sha256(largeWhole(i))) throw new DataError(`SSE-S3 64 MiB GET #${i}: bytes differ from what was PUT`);
  }
  const lean = new LeanGetClient(server.url, new Signer(CREDS), MiB);
  try {
    for (let slice = 0; slice < 10 * SCALE; slice++) {
      for (const [name] of sides) {
        const ph = await closedLoop(server, 16, 1e9, 0.5, async () => {
          const j = Math.floor(Math.random() * (LARGE_SIZE / MiB));
          const bytes = await leanGet(lean, `${BUCKET}/sse-${name}/0`, 206, `ranged (${name})`, { range: `bytes=${j * MiB}-${j * MiB + MiB - 1}` });
          if (bytes !== MiB) throw new DataError(`ranged GET (${name}): ${bytes} bytes`);
          return bytes;
        });
        add(`ranged${name}`, ph.bytes, ph.seconds);
      }
    }
  } finally {
    lean.close();
  }
  const r = await cl.expect({ method: 'GET', path: `${BUCKET}/sse-Sse/0`, headers: { range: `bytes=${5 * MiB + 12345}-${6 * MiB + 12344}` }, sink: 'sha256' }, [206], 'SSE-S3 ranged GET verify');
  if (r.sha256 !== sha256(largeWhole(0).subarray(5 * MiB + 12345, 6 * MiB + 12345))) throw new DataError('SSE-S3 ranged GET: wrong bytes');
  for (const [k, t] of Object.entries(totals)) m[`sse_${k}MiBs`] = t.bytes / MiB / t.seconds;
}

async function runSse(server: Server, largeMd5s: Buffer[]): Promise<Measures> {
  const m: Measures = {};
  const cl = new Client(server.url, new Signer(CREDS), 64);
  try {
    await cl.expect({ method: 'PUT', path: BUCKET }, [200], 'CreateBucket');
    log(`${server.name}: 64 MiB PUT/GET and ranged 1 MiB GETs, SSE-S3 against unencrypted`);
    await sseWorkload(cl, server, m, largeMd5s);
  } finally {
    cl.close();
  }
  return m;
}

async function runTls(server: Server, caPem: Buffer, largeMd5s: Buffer[]): Promise<Measures> {
  const m: Measures = {};
  const [httpUrl, httpsUrl] = server.endpoints;
  const plain = new Client(httpUrl!, new Signer(CREDS), 64);
  const tls = new Client(httpsUrl!, new Signer(CREDS), 64, { ca: caPem });
  try {
    await plain.expect({ method: 'PUT', path: BUCKET }, [200], 'CreateBucket');
    log(`${server.name}: 64 MiB PUT/GET over HTTP (${httpUrl}) and HTTPS (${httpsUrl})`);
    await tlsWorkload(plain, tls, server, m, largeMd5s);
  } finally {
    plain.close();
    tls.close();
  }
  return m;
}

/** GETs against the ceiling server (answers from memory): the most this client shows on this machine. */
async function ceiling(server: Server): Promise<Measures> {
  const m: Measures = {};
  const leanSmall = new LeanGetClient(server.url, new Signer(CREDS), 64 * 1024);
  const leanRanged = new LeanGetClient(server.url, new Signer(CREDS), MiB);
  try {
    const small = await closedLoop(server, 32, 1e9, 5 * SCALE, async (i) => {
      const bytes = await leanGet(leanSmall, `${BUCKET}/small/${String(i % 20_000).padStart(6, '0')}`, 200, 'ceiling 4 KiB');
      if (bytes !== SMALL) throw new DataError(`ceiling 4 KiB GET: ${bytes} bytes`);
      return SMALL;
    });
    m.smallGet = small;
    m.smallGetOps = small.ops / small.seconds;
    const ranged = await closedLoop(server, 16, 1e9, 5 * SCALE, async () => {
      const j = Math.floor(Math.random() * (RANGED_SIZE / MiB));
      const bytes = await leanGet(leanRanged, `${BUCKET}/ranged/256MiB`, 206, 'ceiling ranged', { range: `bytes=${j * MiB}-${j * MiB + MiB - 1}` });
      if (bytes !== MiB) throw new DataError(`ceiling ranged GET: ${bytes} bytes`);
      return bytes;
    });
    m.ranged = ranged;
    m.rangedMiBs = ranged.bytes / MiB / ranged.seconds;
  } finally {
    leanSmall.close();
    leanRanged.close();
  }
  return m;
}

// ---- the targets, interleaved -------------------------------------------------------------------------------
/** A server under test with its client and its figures. */
interface Target {
  server: Server;
  /** Granary (S3) or the baseline (plain files) */
  s3: boolean;
  cl: Client;
  m: Measures;
}

/**
 * Runs each workload on the baseline and then at once on Granary, both servers up for the whole run, so the
 * two sides of every ratio are measured minutes apart at most and with the disk holding the same earlier
 * phases' data. (It used to be every baseline phase, then every Granary phase, minutes apart on a machine
 * whose speed drifts within minutes.)
 * The multipart upload is compared with the baseline's 64 MiB single PUTs measured again just before it.
 */
async function runInterleaved(targets: Target[], largeMd5s: Buffer[], partMd5s: () => Buffer[], setCurrent: (s: Server) => void): Promise<void> {
  const step = async (what: string, t: Target, run: () => Promise<void>): Promise<void> => {
    setCurrent(t.server);
    log(`${t.server.name}: ${what}`);
    await run();
  };
  for (const t of targets) if (t.s3) await t.cl.expect({ method: 'PUT', path: BUCKET }, [200], 'CreateBucket');
  if (ONLY.has('large')) {
    for (const t of targets) await step('64 MiB PUT/GET', t, () => large(t.cl, t.server, t.s3, t.m, largeMd5s));
  }
  if (ONLY.has('small')) {
    for (const t of targets) await step('4 KiB PUT/GET at concurrency 32', t, () => small(t.cl, t.server, t.m));
  }
  if (ONLY.has('list')) {
    for (const t of targets) if (t.s3) await step('ListObjectsV2 over 10,000 keys', t, () => list(t.cl, t.server, t.m));
  }
  if (ONLY.has('multipart')) {
    for (const t of targets) {
      if (t.s3) await step('1 GiB multipart upload', t, () => multipart(t.cl, t.server, t.m, partMd5s));
      else await step('64 MiB PUT (reference for the multipart upload)', t, () => referencePut(t.cl, t.server, t.m));
    }
    for (const t of targets) {
      if (!t.s3 || typeof t.m.multipart !== 'string') await step('ranged 1 MiB GETs at concurrency 16', t, () => ranged(t.cl, t.server, t.m));
    }
  }
}

/** One side of an alternating A/B: a Granary started with `cmd` and `env`, optionally scraped for metrics. */
interface AbSide {
  key: string;
  cmd: string[];
  env: NodeJS.ProcessEnv;
  scrapeToken?: string;
}

/**
 * The 4 KiB PUT/GET load (and with `withList` the 10,000-key ListObjectsV2) on two fresh servers in four rounds
 * ordered A-B, B-A, A-B, B-A, so that drift of the machine's speed hits both alike. Figures, per side
 * (`<prefix><key>…`): summed ops over summed seconds, server CPU per op, and the median of the rounds' B/A ratios.
 */
async function alternatingRounds(prefix: string, sides: [AbSide, AbSide], work: string, setCurrent: (s: Server | undefined) => void, withList = false): Promise<Measures> {
  const running: Array<AbSide & { server: Server; cl: Client; puts: Phase[]; gets: Phase[]; lists: number[] }> = [];
  try {
    for (const side of sides) {
      const dir = join(work, `${prefix}-${side.key}`);
      const server = await startServer(`granary-${prefix}-${side.key}`, [...side.cmd, 'serve', '--data', dir, '--listen', '127.0.0.1:0'], side.env, /Granary S3 endpoint: (http:\/\/\S+)/, root);
      setCurrent(server);
      const cl = new Client(server.url, new Signer(CREDS), 64);
      running.push({ ...side, server, cl, puts: [], gets: [], lists: [] });
      await cl.expect({ method: 'PUT', path: BUCKET }, [200], 'CreateBucket');
    }
    for (let round = 1; round <= 4; round++) {
      for (const side of round % 2 === 1 ? running : [...running].reverse()) {
        setCurrent(side.server);
        log(`${prefix} ${side.key} (round ${round}): 4 KiB PUT/GET at concurrency 32${withList ? ', ListObjectsV2 over 10,000 keys' : ''}`);
        let scraping = side.scrapeToken !== undefined;
        const scraper = (async () => {
          while (scraping) {
            const r = await fetch(`${side.server.url}/_admin/metrics`, { headers: { authorization: `Bearer ${side.scrapeToken}` } });
            if (r.status !== 200) throw new Error(`metrics scrape answered ${r.status}`);
            await r.arrayBuffer();
            await new Promise((res) => setTimeout(res, 1000));
          }
        })();
        const m: Measures = {};
        try {
          await small(side.cl, side.server, m);
          if (withList) await list(side.cl, side.server, m);
        } finally {
          scraping = false;
          await scraper;
        }
        side.puts.push(m.smallPut as Phase);
        side.gets.push(m.smallGet as Phase);
        if (withList) side.lists.push(m.listKeysPerSec as number);
        log(`  PUT ${(m.smallPutOps as number).toFixed(0)}/s, GET ${(m.smallGetOps as number).toFixed(0)}/s${withList ? `, list ${(m.listKeysPerSec as number).toFixed(0)} keys/s` : ''}`);
      }
    }
  } finally {
    for (const s of running) {
      s.cl.close();
      await stopServer(s.server);
    }
    setCurrent(undefined);
  }
  const out: Measures = {};
  const rate = (ps: Phase[]): number => ps.reduce((n, p) => n + p.ops, 0) / ps.reduce((n, p) => n + p.seconds, 0);
  const cpuPerOp = (ps: Phase[]): number => (ps.reduce((n, p) => n + (p.serverCpuPct / 100) * p.seconds, 0) / ps.reduce((n, p) => n + p.ops, 0)) * 1e6;
  const median = (xs: number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const [a, b] = running as [(typeof running)[number], (typeof running)[number]];
  const perRound = (k: 'puts' | 'gets'): number[] => b[k].map((p, i) => p.ops / p.seconds / (a[k][i]!.ops / a[k][i]!.seconds));
  out[`${prefix}PutRoundRatios`] = perRound('puts').map((r) => r.toFixed(3)).join(' ');
  out[`${prefix}GetRoundRatios`] = perRound('gets').map((r) => r.toFixed(3)).join(' ');
  out[`${prefix}PutMedianRatio`] = median(perRound('puts'));
  out[`${prefix}GetMedianRatio`] = median(perRound('gets'));
  if (withList) {
    const listRatios = b.lists.map((x, i) => x / a.lists[i]!);
    out[`${prefix}ListRoundRatios`] = listRatios.map((r) => r.toFixed(3)).join(' ');
    out[`${prefix}ListMedianRatio`] = median(listRatios);
  }
  for (const s of running) {
    out[`${prefix}${s.key}PutOps`] = rate(s.puts);
    out[`${prefix}${s.key}GetOps`] = rate(s.gets);
    out[`${prefix}${s.key}PutCpuUs`] = cpuPerOp(s.puts);
    out[`${prefix}${s.key}GetCpuUs`] = cpuPerOp(s.gets);
    if (withList) out[`${prefix}${s.key}ListKeys`] = median(s.lists);
  }
  return out;
}

/**
 * Metrics off vs on (`metrics` workload): two fresh servers, the second with metrics (GRANARY_METRICS_TOKEN) and
 * a scraper asking every second, in alternating rounds.
 */
function metricsAB(srvCmd: string[], env: NodeJS.ProcessEnv, work: string, setCurrent: (s: Server | undefined) => void): Promise<Measures> {
  const token = 'bench-metrics-token-0123456789';
  const aa = !!process.env.GRANARY_BENCH_METRICS_AA;
  // GRANARY_BENCH_METRICS_LOGS=1: the "on" side writes the access log too (level info, to a file).
  const logs = process.env.GRANARY_BENCH_METRICS_LOGS ? { GRANARY_LOG_LEVEL: 'info', GRANARY_LOG_DESTINATION: join(work, 'granary-metrics-on.log') } : {};
  return alternatingRounds('metrics', [
    { key: 'Off', cmd: srvCmd, env },
    { key: 'On', cmd: srvCmd, env: aa ? env : { ...env, GRANARY_METRICS_TOKEN: token, ...logs }, ...(aa ? {} : { scrapeToken: token }) },
  ], work, setCurrent);
}

/**
 * This build against another one (`ab` workload, GRANARY_BENCH_AB = the command starting the other build, e.g. one
 * of `main`): the 4 KiB PUT/GET load and the 10,000-key listing in alternating rounds. "As fast as before" is a
 * ratio of 1 within the rounds' spread.
 */
function buildAB(otherCmd: string[], srvCmd: string[], env: NodeJS.ProcessEnv, work: string, setCurrent: (s: Server | undefined) => void): Promise<Measures> {
  return alternatingRounds('ab', [
    { key: 'Other', cmd: otherCmd, env },
    { key: 'This', cmd: srvCmd, env },
  ], work, setCurrent, true);
}

/** The baseline's single-PUT rate, measured again right before Granary's multipart upload. */
async function referencePut(cl: Client, server: Server, m: Measures): Promise<void> {
  const put = await closedLoop(server, 1, LARGE_N, 1e9, async (i) => {
    await cl.expect({ method: 'PUT', path: `${BUCKET}/multipart-reference/${i}`, body: largeBody(i) }, [200], 'reference PUT');
    return LARGE_SIZE;
  });
  m.multipartReferencePut = put;
  m.multipartReferencePutMiBs = put.bytes / MiB / put.seconds;
}

function log(s: string): void {
  process.stderr.write(`[bench] ${s}\n`);
}

// ---- report -------------------------------------------------------------------------------------------------
interface Row {
  figure: string;
  unit: string;
  granary: number | null;
  baseline: number | null;
  ratio: number | null;
  target: string;
  result: 'PASS' | 'BELOW' | 'n/a';
  note?: string;
}

function rows(g: Measures, b: Measures, listScale: ListScaleResult[] = []): Row[] {
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const out: Row[] = [];
  const add = (figure: string, unit: string, gv: unknown, bv: unknown, kind: 'ratio' | 'min' | 'max', t: number, ratioBase?: unknown): void => {
    const G = num(gv);
    const B = num(bv);
    const base = ratioBase === undefined ? B : num(ratioBase);
    const ratio = G !== null && base !== null && base > 0 ? G / base : null;
    let result: Row['result'] = 'n/a';
    if (kind === 'ratio' && ratio !== null) result = ratio >= t ? 'PASS' : 'BELOW';
    if (kind === 'min' && G !== null) result = G >= t ? 'PASS' : 'BELOW';
    if (kind === 'max' && G !== null) result = G < t ? 'PASS' : 'BELOW';
    const target = kind === 'ratio' ? `ratio >= ${t}` : kind === 'min' ? `>= ${t.toLocaleString('en-US')}` : `< ${t}`;
    if (G === null && B === null) return;
    out.push({ figure, unit, granary: G, baseline: B, ratio, target, result });
  };
  add('64 MiB PUT, sequential', 'MiB/s', g.largePutMiBs, b.largePutMiBs, 'ratio', 0.85);
  add('64 MiB GET, sequential', 'MiB/s', g.largeGetMiBs, b.largeGetMiBs, 'ratio', 0.7);
  add('4 KiB PUT, c=32', 'ops/s', g.smallPutOps, b.smallPutOps, 'min', 2000);
  add('4 KiB GET, c=32', 'ops/s', g.smallGetOps, b.smallGetOps, 'min', 10000);
  add('ListObjectsV2, 10k keys', 'keys/s', g.listKeysPerSec, undefined, 'min', 100000);
  for (const [op, label] of [
    ['Put', 'PUT'],
    ['Get', 'GET'],
  ] as const) {
    const S = num(g[`tls${op}HttpsMiBs`]);
    const P = num(g[`tls${op}HttpMiBs`]);
    if (S === null) continue;
    // no target in the issue: the figure is the ratio itself; "baseline" here is the same Granary over HTTP
    out.push({ figure: `64 MiB ${label} over HTTPS`, unit: 'MiB/s', granary: S, baseline: P, ratio: P ? S / P : null, target: '', result: 'n/a', note: 'baseline = same Granary over HTTP, same run' });
  }
  for (const [k, label] of [
    ['put', '64 MiB PUT, sequential'],
    ['get', '64 MiB GET, sequential'],
    ['ranged', 'ranged 1 MiB GET, c=16'],
  ] as const) {
    const S = num(g[`sse_${k}SseMiBs`]);
    const C = num(g[`sse_${k}ClearMiBs`]);
    if (S === null || C === null) continue;
    out.push({ figure: `SSE-S3 ${label}`, unit: 'MiB/s', granary: S, baseline: C, ratio: S / C, target: 'ratio >= 0.8', result: S / C >= 0.8 ? 'PASS' : 'BELOW', note: 'baseline = same Granary unencrypted, interleaved' });
  }
  // Alternating A/B rounds: "Granary" = metrics on / this build, "baseline" = metrics off / the other build (same run).
  for (const [prefix, b, a, what] of [
    ['metrics', 'On', 'Off', 'metrics on/off'],
    ['ab', 'This', 'Other', 'this/other build'],
  ] as const) {
    for (const [op, label] of [
      ['Put', 'PUT'],
      ['Get', 'GET'],
    ] as const) {
      const on = num(g[`${prefix}${b}${op}Ops`]);
      const off = num(g[`${prefix}${a}${op}Ops`]);
      if (on === null || off === null) continue;
      out.push({ figure: `4 KiB ${label}, c=32, ${what}`, unit: 'ops/s', granary: on, baseline: off, ratio: on / off, target: 'ratio >= 0.97', result: on / off >= 0.97 ? 'PASS' : 'BELOW' });
      const med = num(g[`${prefix}${op}MedianRatio`]);
      if (med !== null) out.push({ figure: `  median of 4 rounds' ratios (${String(g[`${prefix}${op}RoundRatios`])})`, unit: '', granary: null, baseline: null, ratio: med, target: 'ratio >= 0.97', result: med >= 0.97 ? 'PASS' : 'BELOW' });
      const cOn = num(g[`${prefix}${b}${op}CpuUs`]);
      const cOff = num(g[`${prefix}${a}${op}CpuUs`]);
      if (cOn !== null && cOff !== null) out.push({ figure: `  server CPU per ${label}, ${what}`, unit: 'us', granary: cOn, baseline: cOff, ratio: cOn / cOff, target: 'ratio <= 1.03', result: cOn / cOff <= 1.03 ? 'PASS' : 'BELOW' });
    }
  }
  {
    const t = num(g.abThisListKeys);
    const o = num(g.abOtherListKeys);
    const med = num(g.abListMedianRatio);
    if (t !== null && o !== null && med !== null) {
      out.push({ figure: 'ListObjectsV2 10k, this/other build', unit: 'keys/s', granary: t, baseline: o, ratio: t / o, target: 'ratio >= 0.97', result: t / o >= 0.97 ? 'PASS' : 'BELOW' });
      out.push({ figure: `  median of 4 rounds' ratios (${String(g.abListRoundRatios)})`, unit: '', granary: null, baseline: null, ratio: med, target: 'ratio >= 0.97', result: med >= 0.97 ? 'PASS' : 'BELOW' });
    }
  }
  if (typeof g.multipart === 'string') {
    out.push({ figure: '1 GiB multipart, 16 MiB x c=4', unit: '', granary: null, baseline: null, ratio: null, target: '', result: 'n/a', note: g.multipart });
  } else {
    const r = num(g.multipartMiBs);
    if (r !== null) {
      const base = num(b.multipartReferencePutMiBs) ?? num(b.largePutMiBs);
      out.push({
        figure: '1 GiB multipart, 16 MiB x c=4',
        unit: 'MiB/s',
        granary: r,
        baseline: base,
        ratio: base ? r / base : null,
        target: 'ratio >= 0.85',
        result: base ? (r / base >= 0.85 ? 'PASS' : 'BELOW') : 'n/a',
        note: base ? 'baseline = 64 MiB single PUTs just before' : 'n/a (no baseline 64 MiB PUT this run)',
      });
    }
    add('  peak server RSS during it', 'MiB', g.multipartPeakRssMiB, undefined, 'max', 256);
    add('ranged 1 MiB GET, c=16', 'MiB/s', g.rangedMiBs, b.rangedMiBs, 'min', 1200);
  }
  // Listing at scale: "Granary" = median ms on the 1M-key bucket, "baseline" = on the 10k-key one, same server.
  for (const r of listScale) {
    for (const f of r.figures) {
      out.push({ figure: `list 1M/10k ${r.store}: ${f.request}`, unit: 'ms', granary: f.largeMs, baseline: f.smallMs, ratio: f.ratio, target: 'ratio <= 2', result: f.ratio <= 2 ? 'PASS' : 'BELOW' });
    }
  }
  return out;
}

function cpuPair(p: unknown): string {
  const ph = p as Phase | undefined;
  return ph ? `${ph.serverCpuPct.toFixed(0)}% / ${ph.clientCpuPct.toFixed(0)}%` : '';
}

function fmt(v: number | null, digits = 0): string {
  if (v === null) return '-';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function printTable(rs: Row[]): void {
  const head = ['figure', 'unit', 'Granary', 'baseline', 'ratio', 'target', 'result'];
  const digits = (r: Row): number => (r.unit === 'ms' ? 2 : r.unit === 'MiB' ? 1 : 0);
  const body = rs.map((r) => [r.figure, r.unit, fmt(r.granary, digits(r)), fmt(r.baseline, r.unit === 'ms' ? 2 : 0), r.ratio === null ? '-' : r.ratio.toFixed(2), r.target, r.note && r.result === 'n/a' ? r.note : r.result]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const b of body) console.log(line(b));
}

function printCpu(g: Measures, b: Measures): void {
  const phases: Array<[string, string]> = [
    ['largePut', '64 MiB PUT'],
    ['largeGet', '64 MiB GET'],
    ['smallPut', '4 KiB PUT'],
    ['smallGet', '4 KiB GET'],
    ['list', 'ListObjectsV2'],
    ['tlsPutHttp', '64M PUT http'],
    ['tlsPutHttps', '64M PUT https'],
    ['tlsGetHttp', '64M GET http'],
    ['tlsGetHttps', '64M GET https'],
    ['multipart', '1 GiB multipart'],
    ['ranged', 'ranged GET'],
  ];
  console.log(`\nCPU during each phase (% of one core; ${cpus().length} cores = ${cpus().length * 100}%): server / client / other processes`);
  console.log(`  ${''.padEnd(16)} ${'Granary'.padEnd(20)}  |  baseline`);
  for (const [k, label] of phases) {
    const gp = g[k];
    const bp = b[k];
    if (typeof gp !== 'object' && typeof bp !== 'object') continue;
    const pc = (v: number): string => `${v.toFixed(0).padStart(3)}%`;
    const f = (p: unknown): string => (typeof p === 'object' && p ? `${pc((p as Phase).serverCpuPct)} / ${pc((p as Phase).clientCpuPct)} / ${pc((p as Phase).otherCpuPct)}` : '-'.padEnd(20));
    console.log(`  ${label.padEnd(16)} ${f(gp)}  |  ${f(bp)}`);
  }
}

// ---- main ---------------------------------------------------------------------------------------------------
async function main(): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'granary-bench-'));
  let current: Server | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: stopping servers`);
    killAll();
    rm(work, { recursive: true, force: true }).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`data under ${work}; preparing test data`);
    const largeMd5s = Array.from({ length: LARGE_N }, (_, i) => md5(largeWhole(i)));
    let partCache: Buffer[] | undefined;
    const partMd5s = (): Buffer[] => (partCache ??= Array.from({ length: PARTS }, (_, n) => md5(partBody(n))));

    const baselineRuns = ['large', 'small', 'multipart'].some((w) => ONLY.has(w));
    const granaryRuns = baselineRuns || ONLY.has('list');
    const baseCmd = splitCommand(process.env.GRANARY_BENCH_BASELINE ?? (fromDist ? `${process.execPath} dist/bench/baseline-server.js` : `${process.execPath} --import tsx bench/baseline-server.ts`));
    const srvCmd = splitCommand(process.env.GRANARY_BENCH_SERVER ?? `${process.execPath} dist/src/main.js`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GRANARY_ACCESS_KEY: CREDS.accessKeyId,
      GRANARY_SECRET_KEY: CREDS.secretKey,
      GRANARY_ADMIN_PASSWORD: 'bench-admin-password',
      GRANARY_LOG_LEVEL: 'warn',
    };
    delete env.GRANARY_DATA;
    delete env.GRANARY_LISTEN;
    delete env.GRANARY_CONFIG;
    delete env.GRANARY_LISTEN_HTTPS;
    delete env.GRANARY_TLS_CERT;
    delete env.GRANARY_TLS_KEY;
    delete env.GRANARY_METRICS_TOKEN;
    delete env.GRANARY_METRICS_ALLOW;
    delete env.GRANARY_LISTEN_METRICS;
    const b: Measures = {};
    const g: Measures = {};
    const targets: Target[] = [];
    try {
      if (baselineRuns) {
        await mkdir(join(work, 'baseline'));
        current = await startServer('baseline', [...baseCmd, '--data', join(work, 'baseline')], process.env, /Baseline endpoint: (http:\/\/\S+)/, root);
        log(`baseline at ${current.url} (pid ${current.pid})`);
        targets.push({ server: current, s3: false, cl: new Client(current.url, new Signer(CREDS), 64), m: b });
      }
      if (granaryRuns) {
        current = await startServer('granary', [...srvCmd, 'serve', '--data', join(work, 'granary'), '--listen', '127.0.0.1:0'], env, /Granary S3 endpoint: (http:\/\/\S+)/, root);
        log(`granary at ${current.url} (pid ${current.pid})`);
        targets.push({ server: current, s3: true, cl: new Client(current.url, new Signer(CREDS), 64), m: g });
      }
      await runInterleaved(targets, largeMd5s, partMd5s, (srv) => (current = srv));
      for (const t of targets) await stopServer(t.server);
      current = undefined;
    } finally {
      for (const t of targets) t.cl.close();
    }
    await rm(join(work, 'baseline'), { recursive: true, force: true });
    await rm(join(work, 'granary'), { recursive: true, force: true });

    if (ONLY.has('https')) {
      // a test CA and server certificate (127.0.0.1 among its names) from `granary cert`
      const tlsDir = join(work, 'tls');
      const [cmd, ...args] = srvCmd;
      await promisify(execFile)(cmd!, [...args, 'cert', '--out', tlsDir], { cwd: root, env });
      const caPem = await readFile(join(tlsDir, 'ca.pem'));
      current = await startServer(
        'granary-tls',
        [...srvCmd, 'serve', '--data', join(work, 'granary-tls'), '--listen', '127.0.0.1:0', '--listen-https', '127.0.0.1:0', '--tls-cert', join(tlsDir, 'cert.pem'), '--tls-key', join(tlsDir, 'key.pem')],
        env,
        // both lines, each complete (the HTTPS one is printed after the HTTP one)
        /Granary S3 endpoint: (http:\/\/\S+)\r?\n[\s\S]*?Granary S3 endpoint \(HTTPS\): (https:\/\/\S+)\r?\n/,
        root,
      );
      log(`granary-tls at ${current.endpoints.join(' and ')} (pid ${current.pid})`);
      Object.assign(g, await runTls(current, caPem, largeMd5s));
      await stopServer(current);
      current = undefined;
    }

    if (ONLY.has('sse')) {
      current = await startServer('granary-sse', [...srvCmd, 'serve', '--data', join(work, 'granary-sse'), '--listen', '127.0.0.1:0'], env, /Granary S3 endpoint: (http:\/\/\S+)/, root);
      log(`granary-sse at ${current.url} (pid ${current.pid})`);
      Object.assign(g, await runSse(current, largeMd5s));
      await stopServer(current);
      current = undefined;
      await rm(join(work, 'granary-sse'), { recursive: true, force: true });
    }

    if (ONLY.has('metrics')) {
      Object.assign(g, await metricsAB(srvCmd, env, work, (s) => (current = s)));
      await rm(join(work, 'metrics-Off'), { recursive: true, force: true });
      await rm(join(work, 'metrics-On'), { recursive: true, force: true });
    }

    if (ONLY.has('ab')) {
      const other = process.env.GRANARY_BENCH_AB;
      if (!other) throw new Error('the ab workload needs GRANARY_BENCH_AB: the command that starts the other Granary build');
      Object.assign(g, await buildAB(splitCommand(other), srvCmd, env, work, (s) => (current = s)));
      await rm(join(work, 'ab-Other'), { recursive: true, force: true });
      await rm(join(work, 'ab-This'), { recursive: true, force: true });
    }

    let ceil: Measures | undefined;
    if (ONLY.has('ceiling')) {
      const ceilCmd = fromDist ? [process.execPath, 'dist/bench/ceiling-server.js'] : [process.execPath, '--import', 'tsx', 'bench/ceiling-server.ts'];
      current = await startServer('ceiling', ceilCmd, process.env, /Ceiling endpoint: (http:\/\/\S+)/, root);
      log(`ceiling: 4 KiB and 1 MiB ranged GETs answered from memory (${current.url})`);
      ceil = await ceiling(current);
      await stopServer(current);
      current = undefined;
    }

    let listScale: ListScaleResult[] | undefined;
    if (ONLY.has('listscale')) {
      const noPg = postgresUnavailable();
      if (noPg) log(`list-scale on PostgreSQL skipped: ${noPg}`);
      listScale = await runListScale({ work, root, srvCmd, env, creds: CREDS, seconds: 2 * SCALE, log }, noPg === undefined);
    }

    let scaleOut: ScaleOutResult | undefined;
    const noScaleOut = ONLY.has('scaleout') ? scaleOutUnavailable() : 'not selected';
    if (noScaleOut === undefined) {
      scaleOut = await runScaleOut({ work, root, srvCmd, env, creds: CREDS, seconds: 5 * SCALE, log });
    } else log(`scale-out figures skipped: ${noScaleOut}`);

    const rs = rows(g, b, listScale);
    console.log('');
    printTable(rs);
    printCpu(g, b);
    console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (high "other" CPU above means the figures are contaminated by other work on this machine)`);
    await mkdir(resultsDir, { recursive: true });
    if (ceil) {
      const c = ceil;
      console.log(`\nclient ceiling (a Node.js server answering from memory: no disk, no S3 work; server / client CPU):`);
      console.log(`  4 KiB GET, c=32         ${fmt(c.smallGetOps as number).padStart(7)} ops/s   ${cpuPair(c.smallGet)}`);
      console.log(`  ranged 1 MiB GET, c=16  ${fmt(c.rangedMiBs as number).padStart(7)} MiB/s   ${cpuPair(c.ranged)}`);
    }
    if (scaleOut) {
      const so = scaleOut;
      console.log(`\nscale-out (4 KiB objects, concurrency 32):`);
      console.log(`  PUT ops/s  SQLite ${so.sqlitePutOps.toFixed(0)}  PostgreSQL ${so.postgresPutOps.toFixed(0)}  ratio PG/SQLite ${so.postgresVsSqlite.toFixed(2)}`);
      console.log(`  PUT+GET ops/s  one gateway ${so.oneGatewayOps.toFixed(0)}  two behind HAProxy ${so.twoGatewaysOps.toFixed(0)}  ratio ${so.twoVsOne.toFixed(2)}`);
    }
    const json = { date: new Date().toISOString(), node: process.version, host: { cpus: cpus().length, loadavgAtEnd: loadavg() }, rows: rs, granary: g, baseline: b, ceiling: ceil, listScale, scaleOut };
    await writeFile(join(resultsDir, 'latest.json'), JSON.stringify(json, null, 2) + '\n');
    console.log(`\nresults: ${join(resultsDir, 'latest.json')}`);
    return 0;
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`\nbench FAILED: ${e instanceof DataError ? 'wrong data: ' : ''}${e.stack ?? String(e)}\n`);
    if (current) process.stderr.write(`--- ${current.name} stderr (tail) ---\n${current.stderrTail()}\n`);
    return 1;
  } finally {
    if (current) await stopServer(current, 5000).catch(() => {});
    killAll();
    await rm(work, { recursive: true, force: true }).catch(() => {});
  }
}

process.exitCode = await main();
