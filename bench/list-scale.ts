/**
 * Listing at scale for `npm run bench` (issue 23): does a ListObjectsV2 request cost per page, not per
 * bucket? One Granary holds two buckets of the same shape, 100 "directories" d00/ … d99/ of 100 keys
 * (10,000) and of 10,000 keys (1,000,000); the same requests go to both, alternately, one at a time, and
 * each figure is the 1M bucket's median time over the 10k bucket's (target: within 2x).
 *
 * The keys are empty objects written straight into the store's database (one INSERT … SELECT, with the
 * bucket's and tenancy's usage counters moved to match), so generating a million takes seconds, not the
 * hours of a million PUTs. Runs on the embedded SQLite store, and on PostgreSQL when its binaries are here.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Client } from './lib/client.js';
import { HeaderSigner as Signer } from '../src/iam/sigv4/sign.js';
import { startServer, stopServer, type Server } from './lib/procs.js';
import { startPostgres, type TestPostgres } from '../test/helpers/postgres.js';

export interface ListScaleOptions {
  work: string;
  root: string;
  srvCmd: string[];
  env: NodeJS.ProcessEnv;
  creds: { accessKeyId: string; secretKey: string; region: string };
  /** time per request shape, both buckets together */
  seconds: number;
  log: (s: string) => void;
}

/** One request shape: median milliseconds on each bucket. */
export interface ListScaleFigure {
  request: string;
  smallMs: number;
  largeMs: number;
  /** largeMs / smallMs */
  ratio: number;
  /** requests timed on each bucket */
  samples: number;
}

export interface ListScaleResult {
  store: 'sqlite' | 'postgres';
  /** seconds to generate the 1,000,000 rows (and the 10,000) in the database */
  generateSeconds: number;
  figures: ListScaleFigure[];
}

const DIRS = 100;
const SMALL = { bucket: 'scale10k', perDir: 100 };
const LARGE = { bucket: 'scale1m', perDir: 10_000 };
const EMPTY_MD5 = '"d41d8cd98f00b204e9800998ecf8427e"';

export function postgresUnavailable(): string | undefined {
  const pgBins = existsSync('/usr/lib/postgresql') || (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'initdb')));
  return pgBins || process.env.GRANARY_TEST_PG_URL ? undefined : 'PostgreSQL binaries (initdb, pg_ctl) not found';
}

const dirName = (d: number): string => `d${String(d).padStart(2, '0')}/`;
const keyName = (d: number, k: number): string => `${dirName(d)}k${String(k).padStart(5, '0')}`;

/** The requests, each with what its answer must hold (checked on every response). */
interface Shape {
  request: string;
  query: Array<[string, string]>;
  expect: (perDir: number) => { keys: number; prefixes: number; first: string };
}
const SHAPES: Shape[] = [
  {
    request: 'root, delimiter=/ (100 CommonPrefixes)',
    query: [['delimiter', '/']],
    expect: () => ({ keys: 0, prefixes: DIRS, first: dirName(0) }),
  },
  ...[10, 50, 90].map((pct) => ({
    request: `1,000 keys after start-after=${dirName(pct)} (${pct} %)`,
    query: [['start-after', dirName(pct)], ['max-keys', '1000']] as Array<[string, string]>,
    expect: () => ({ keys: 1000, prefixes: 0, first: keyName(pct, 0) }),
  })),
  {
    request: 'one directory, prefix=d42/ delimiter=/ max-keys=100',
    query: [['prefix', 'd42/'], ['delimiter', '/'], ['max-keys', '100']],
    expect: () => ({ keys: 100, prefixes: 0, first: keyName(42, 0) }),
  },
];

async function listOnce(cl: Client, bucket: string, shape: Shape, perDir: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await cl.expect({ method: 'GET', path: bucket, query: [['list-type', '2'], ...shape.query], sink: 'collect' }, [200], 'ListObjectsV2');
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const xml = r.body!.toString('utf8');
  const want = shape.expect(perDir);
  const keys = xml.match(/<Contents>/g)?.length ?? 0;
  const prefixes = xml.match(/<CommonPrefixes>/g)?.length ?? 0;
  const first = (want.keys ? /<Contents><Key>([^<]*)<\/Key>/ : /<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/).exec(xml)?.[1];
  if (keys !== want.keys || prefixes !== want.prefixes || first !== want.first) {
    throw new Error(`list-scale ${bucket} ${shape.request}: ${keys} keys, ${prefixes} prefixes, first ${first}; expected ${JSON.stringify(want)}`);
  }
  return ms;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Each shape on both buckets, alternately (so drift of the machine's speed touches both alike). */
async function measure(cl: Client, o: ListScaleOptions): Promise<ListScaleFigure[]> {
  const out: ListScaleFigure[] = [];
  for (const shape of SHAPES) {
    for (let i = 0; i < 3; i++) for (const b of [SMALL, LARGE]) await listOnce(cl, b.bucket, shape, b.perDir); // warm-up
    const small: number[] = [];
    const large: number[] = [];
    const deadline = process.hrtime.bigint() + BigInt(Math.round(o.seconds * 1e9));
    while (small.length < 5 || (process.hrtime.bigint() < deadline && small.length < 500)) {
      small.push(await listOnce(cl, SMALL.bucket, shape, SMALL.perDir));
      large.push(await listOnce(cl, LARGE.bucket, shape, LARGE.perDir));
    }
    const smallMs = median(small);
    const largeMs = median(large);
    out.push({ request: shape.request, smallMs, largeMs, ratio: largeMs / smallMs, samples: small.length });
    o.log(`list-scale: ${shape.request}: 10k ${smallMs.toFixed(2)} ms, 1M ${largeMs.toFixed(2)} ms (${small.length} each)`);
  }
  return out;
}

/** Rows for SQLite: through a second connection to the server's own database file (WAL allows it). */
function generateSqlite(file: string): void {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = OFF'); // bench data: a crash here only spoils this run
    const idOf = (name: string): { id: string; tenancy_id: string } => {
      const rows = db.prepare('SELECT id, tenancy_id FROM buckets WHERE name = ?').all(name) as { id: string; tenancy_id: string }[];
      if (rows.length !== 1) throw new Error(`list-scale: ${rows.length} buckets named ${name}`);
      return rows[0]!;
    };
    const insert = db.prepare(`INSERT INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers, inline,
        parts, checksum, tagging, owner_id, storage_class, acl)
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @count)
      SELECT @bucket, printf('d%02d/k%05d', i / @perDir, i % @perDir), 0, @etag, @now, 'application/octet-stream', '{}',
        X'', '[]', NULL, NULL, (SELECT owner_id FROM buckets WHERE id = @bucket), 'STANDARD', NULL FROM n`);
    const count = db.prepare('UPDATE buckets SET used_objects = used_objects + ? WHERE id = ?');
    const countTenancy = db.prepare('UPDATE tenancies SET used_objects = used_objects + ? WHERE id = ?');
    db.transaction(() => {
      for (const b of [SMALL, LARGE]) {
        const { id, tenancy_id } = idOf(b.bucket);
        insert.run({ count: DIRS * b.perDir, bucket: id, perDir: b.perDir, etag: EMPTY_MD5, now: Date.now() });
        count.run(DIRS * b.perDir, id);
        countTenancy.run(DIRS * b.perDir, tenancy_id);
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

async function generatePostgres(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    for (const b of [SMALL, LARGE]) {
      const rows = (await c.query('SELECT id, tenancy_id FROM buckets WHERE name = $1', [b.bucket])).rows;
      if (rows.length !== 1) throw new Error(`list-scale: ${rows.length} buckets named ${b.bucket}`);
      const { id, tenancy_id } = rows[0];
      const n = DIRS * b.perDir;
      await c.query(
        `INSERT INTO objects (bucket_id, key, size, etag, last_modified, content_type, headers, inline, parts, checksum, tagging,
           owner_id, storage_class, acl)
         SELECT $1, format('d%s/k%s', lpad((i / $2)::text, 2, '0'), lpad((i % $2)::text, 5, '0')), 0, $3, $4,
           'application/octet-stream', '{}', '\\x'::bytea, '[]', NULL, NULL, (SELECT owner_id FROM buckets WHERE id = $1), 'STANDARD', NULL
         FROM generate_series(0, $5 - 1) AS i`,
        [id, b.perDir, EMPTY_MD5, Date.now(), n],
      );
      await c.query('UPDATE buckets SET used_objects = used_objects + $1 WHERE id = $2', [n, id]);
      await c.query('UPDATE tenancies SET used_objects = used_objects + $1 WHERE id = $2', [n, tenancy_id]);
    }
    await c.query('COMMIT');
    await c.query('VACUUM ANALYZE objects'); // what autovacuum would do soon after such a load
  } finally {
    await c.end();
  }
}

async function run(store: 'sqlite' | 'postgres', o: ListScaleOptions, pgUrl?: string): Promise<ListScaleResult> {
  const dir = join(o.work, `list-scale-${store}`);
  await mkdir(dir, { recursive: true });
  let server: Server | undefined;
  try {
    server = await startServer(`granary-list-${store}`, [...o.srvCmd, 'serve', '--data', dir, '--listen', '127.0.0.1:0', ...(pgUrl ? ['--metadata', pgUrl] : [])], o.env, /Granary S3 endpoint: (http:\/\/\S+)/, o.root);
    const cl = new Client(server.url, new Signer(o.creds), 4);
    try {
      for (const b of [SMALL, LARGE]) await cl.expect({ method: 'PUT', path: b.bucket }, [200], 'CreateBucket');
      o.log(`list-scale (${store}): generating ${(DIRS * LARGE.perDir).toLocaleString('en-US')} + ${(DIRS * SMALL.perDir).toLocaleString('en-US')} keys in the database`);
      const t0 = process.hrtime.bigint();
      if (pgUrl) await generatePostgres(pgUrl);
      else generateSqlite(join(dir, 'metadata.db'));
      const generateSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      o.log(`list-scale (${store}): generated in ${generateSeconds.toFixed(1)} s`);
      return { store, generateSeconds, figures: await measure(cl, o) };
    } finally {
      cl.close();
    }
  } finally {
    if (server) await stopServer(server, 5000).catch(() => {});
  }
}

export async function runListScale(o: ListScaleOptions, withPostgres: boolean): Promise<ListScaleResult[]> {
  const out = [await run('sqlite', o)];
  if (withPostgres) {
    let pgServer: TestPostgres | undefined;
    try {
      pgServer = await startPostgres();
      out.push(await run('postgres', o, pgServer.url));
    } finally {
      await pgServer?.stop().catch(() => {});
    }
  }
  return out;
}
