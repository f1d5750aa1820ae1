/**
 * A throwaway PostgreSQL server for tests: `initdb` + `pg_ctl` from this machine into a temporary
 * directory, listening on a free loopback port with trust authentication, and one empty database.
 *
 * If GRANARY_TEST_PG_URL is set, that server is used instead and nothing is started (tests should then
 * isolate themselves, e.g. with a schema per store).
 *
 * PostgreSQL refuses to run as root, and CI containers often are root: then every binary runs as the
 * unprivileged `nobody` user through `runuser` (util-linux; `setpriv` as a fallback), with the temporary
 * directory chowned to that user.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileP = promisify(execFile);

export interface TestPostgres {
  /** Connection string of an empty database (postgres://user@127.0.0.1:port/db). */
  url: string;
  /** Stops the server (if this helper started it) and removes its directory. */
  stop(): Promise<void>;
  /** Stops the server but keeps its data directory (`pg_ctl stop -m fast`): an outage. */
  stopServer(): Promise<void>;
  /** Starts it again on the same port and data directory after stopServer(). */
  startServer(): Promise<void>;
}

const SUPERUSER = 'postgres';
const DATABASE = 'granary_test';
const RUN_AS = 'nobody';

/** Directory holding initdb/pg_ctl: PATH first (as CI installs them), else Debian's versioned layout. */
function findBinDir(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    // Highest major version first.
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = join(base, v, 'bin');
      if (existsSync(join(dir, 'initdb'))) return dir;
    }
  }
  throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found on PATH or under /usr/lib/postgresql/*/bin');
}

async function uidGidOf(user: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([
    execFileP('id', ['-u', user]).then((r) => Number(r.stdout.trim())),
    execFileP('id', ['-g', user]).then((r) => Number(r.stdout.trim())),
  ]);
  return { uid, gid };
}

/** Wraps a command so it runs unprivileged when we are root (PostgreSQL refuses root outright). */
function asPostgresUser(isRoot: boolean, file: string, args: string[]): [string, string[]] {
  if (!isRoot) return [file, args];
  if (existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser')) return ['runuser', ['-u', RUN_AS, '--', file, ...args]];
  return ['setpriv', ['--reuid', RUN_AS, '--regid', RUN_AS, '--clear-groups', '--', file, ...args]];
}

export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env.GRANARY_TEST_PG_URL;
  if (external) {
    const unsupported = async () => {
      throw new Error('stopServer/startServer need a PostgreSQL started by this helper (GRANARY_TEST_PG_URL is set)');
    };
    return { url: external, stop: async () => {}, stopServer: unsupported, startServer: unsupported };
  }

  const bin = findBinDir();
  const isRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'granary-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  // cwd = the temp dir: the unprivileged user may not be allowed into the caller's working directory.
  const run = (tool: string, args: string[]) => {
    const [file, argv] = asPostgresUser(isRoot, join(bin, tool), args);
    return execFileP(file, argv, { cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
  };

  let started = false;
  const stop = async () => {
    if (started) {
      started = false;
      // 'immediate' is fine for a throwaway cluster and keeps test teardown fast.
      await run('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']).catch(() => {});
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    if (isRoot) {
      const { uid, gid } = await uidGidOf(RUN_AS);
      await chown(dir, uid, gid);
    }
    // UTF8 + C locale: COLLATE "C" is then byte order of UTF-8, the order S3 lists in.
    await run('initdb', ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && !started; attempt++) {
      const port = await freePort();
      const opts = [
        `-p ${port}`,
        '-c listen_addresses=127.0.0.1',
        `-k ${dir}`, // Unix socket in our own directory, not /var/run/postgresql (root-owned)
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      try {
        await run('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', opts]);
        started = true;
        const stopServer = async () => {
          if (!started) return;
          await run('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w']);
          started = false;
        };
        const startServer = async () => {
          if (started) return;
          await run('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '30', '-o', opts]);
          started = true;
        };
        const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/${DATABASE}`;
        // Created over SQL rather than with `createdb`, which not every install puts beside initdb.
        const admin = new pg.Client({ connectionString: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres` });
        await admin.connect();
        try {
          await admin.query(`CREATE DATABASE ${DATABASE}`);
        } finally {
          await admin.end();
        }
        return { url, stop, stopServer, startServer };
      } catch (e) {
        lastError = e; // most likely the port was taken between freePort() and bind: try another
      }
    }
    const log = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(`could not start PostgreSQL: ${String(lastError)}\n${log}`);
  } catch (e) {
    await stop();
    throw e;
  }
}
