/**
 * Scale-out figures for `npm run bench` (bench/run.ts calls this last): 4 KiB PUTs with the embedded SQLite
 * store against PostgreSQL (one gateway each), and the small-object workload (4 KiB PUT then GET at
 * concurrency 32) through one gateway against two gateways behind HAProxy (docs/haproxy.cfg), as ratios.
 * Needs PostgreSQL binaries (initdb/pg_ctl) and haproxy; without them it reports why and returns nothing.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from './lib/client.js';
import { HeaderSigner as Signer } from '../src/iam/sigv4/sign.js';
import { startServer, stopServer, type Server } from './lib/procs.js';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import { haproxyBinary, startHaproxy, type TestHaproxy } from '../test/helpers/haproxy.js';

export interface ScaleOutOptions {
  work: string;
  root: string;
  srvCmd: string[];
  env: NodeJS.ProcessEnv;
  creds: { accessKeyId: string; secretKey: string; region: string };
  seconds: number;
  log: (s: string) => void;
}

export interface ScaleOutResult {
  sqlitePutOps: number;
  postgresPutOps: number;
  /** PostgreSQL / SQLite small PUTs per second. */
  postgresVsSqlite: number;
  oneGatewayOps: number;
  twoGatewaysOps: number;
  /** Two gateways behind HAProxy / one gateway (PUT+GET ops per second). */
  twoVsOne: number;
}

export function scaleOutUnavailable(): string | undefined {
  if (!haproxyBinary()) return 'haproxy not installed';
  const pgBins = existsSync('/usr/lib/postgresql') || (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'initdb')));
  if (!pgBins && !process.env.GRANARY_TEST_PG_URL) return 'PostgreSQL binaries (initdb, pg_ctl) not found';
  return undefined;
}

const SMALL = 4096;
const body = (i: number): Buffer => Buffer.alloc(SMALL, i % 251);

/** 4 KiB PUTs (and then GETs when `gets`) at concurrency 32 for `seconds` each; ops per second. */
async function smallOps(url: string, o: ScaleOutOptions, prefix: string, gets: boolean): Promise<{ put: number; get: number }> {
  const cl = new Client(url, new Signer(o.creds), 64);
  try {
    await cl.expect({ method: 'PUT', path: 'scale' }, [200, 409], 'CreateBucket'); // 409: already made via the other gateway
    const loop = async (fn: (i: number) => Promise<void>): Promise<number> => {
      let next = 0;
      const t0 = process.hrtime.bigint();
      const deadline = t0 + BigInt(Math.round(o.seconds * 1e9));
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (process.hrtime.bigint() < deadline) await fn(next++);
        }),
      );
      return next / (Number(process.hrtime.bigint() - t0) / 1e9);
    };
    let written = 0;
    const put = await loop(async (i) => {
      await cl.expect({ method: 'PUT', path: `scale/${prefix}/${i}`, body: body(i) }, [200], 'small PUT');
      written = Math.max(written, i + 1);
    });
    const get = gets
      ? await loop(async () => {
          const r = await cl.expect({ method: 'GET', path: `scale/${prefix}/${Math.floor(Math.random() * written)}` }, [200, 404], 'small GET');
          if (r.status === 200 && r.bytes !== SMALL) throw new Error(`small GET: ${r.bytes} bytes`);
        })
      : 0;
    return { put, get };
  } finally {
    cl.close();
  }
}

export async function runScaleOut(o: ScaleOutOptions): Promise<ScaleOutResult> {
  const servers: Server[] = [];
  let pg: TestPostgres | undefined;
  let lb: TestHaproxy | undefined;
  const start = async (name: string, dir: string, extra: string[]): Promise<Server> => {
    await mkdir(dir, { recursive: true });
    const s = await startServer(name, [...o.srvCmd, 'serve', '--data', dir, '--listen', '127.0.0.1:0', ...extra], o.env, /Granary S3 endpoint: (http:\/\/\S+)/, o.root);
    servers.push(s);
    return s;
  };
  try {
    o.log('scale-out: SQLite, one gateway: 4 KiB PUTs');
    const sq = await start('granary-sqlite', join(o.work, 'scale-sqlite'), []);
    const sqlite = await smallOps(sq.url, o, 'p', false);
    await stopServer(sq);

    pg = await startPostgres();
    const dir = join(o.work, 'scale-pg');
    o.log('scale-out: PostgreSQL, one gateway: 4 KiB PUT/GET');
    const g1 = await start('granary-pg-1', dir, ['--metadata', pg.url]);
    const one = await smallOps(g1.url, o, 'one', true);
    const g2 = await start('granary-pg-2', dir, ['--metadata', pg.url]);
    lb = await startHaproxy([g1, g2].map((g) => Number(new URL(g.url).port)));
    o.log('scale-out: PostgreSQL, two gateways behind HAProxy: 4 KiB PUT/GET');
    const two = await smallOps(lb.url, o, 'two', true);
    const oneOps = (one.put + one.get) / 2;
    const twoOps = (two.put + two.get) / 2;
    return {
      sqlitePutOps: sqlite.put,
      postgresPutOps: one.put,
      postgresVsSqlite: one.put / sqlite.put,
      oneGatewayOps: oneOps,
      twoGatewaysOps: twoOps,
      twoVsOne: twoOps / oneOps,
    };
  } finally {
    await lb?.stop().catch(() => {});
    for (const s of servers) await stopServer(s, 5000).catch(() => {});
    await pg?.stop().catch(() => {});
  }
}
