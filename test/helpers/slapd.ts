/**
 * A throwaway OpenLDAP server for tests: Debian's `/usr/sbin/slapd` with a minimal `slapd.conf` (core,
 * cosine, inetorgperson and nis schemas from /etc/ldap/schema, one mdb database) in a temporary directory,
 * loaded offline with `slapadd`, listening on ldap://127.0.0.1:<free port>. Any system slapd is ignored.
 *
 * As root, slapd simply runs as root (no -u/-g) with the temporary directory as its only state, so
 * nothing needs chowning; as another user it runs as that user.
 *
 * The directory holds the users and groups of `SLAPD_USERS` / `SLAPD_GROUPS` (their passwords are
 * stored as {SSHA} hashes); `modify()` applies LDIF with `ldapmodify` as the admin.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const SLAPD_BIN = '/usr/sbin/slapd';
const SLAPADD_BIN = '/usr/sbin/slapadd';
const SCHEMA_DIR = '/etc/ldap/schema';
const MODULE_DIR = '/usr/lib/ldap';

export const BASE_DN = 'dc=granary,dc=test';
export const USERS_DN = `ou=people,${BASE_DN}`;
export const GROUPS_DN = `ou=groups,${BASE_DN}`;

export interface SlapdUser {
  uid: string;
  cn: string;
  mail?: string;
  password: string;
}
export const SLAPD_USERS: SlapdUser[] = [
  { uid: 'alice', cn: 'Alice Liddell', mail: 'alice@example.org', password: 'alice-secret' },
  { uid: 'bob', cn: 'Bob Builder', mail: 'bob@example.org', password: 'bob-secret' },
  { uid: 'carol', cn: 'Carol Danvers', password: 'carol-secret' },
];
/** groupOfNames groups list member uids (stored as member DNs); posixGroup groups list memberUid. */
export const SLAPD_GROUPS: { cn: string; kind: 'groupOfNames' | 'posixGroup'; members: string[] }[] = [
  { cn: 'researchers', kind: 'groupOfNames', members: ['alice', 'bob'] },
  { cn: 'cedadev-admins', kind: 'groupOfNames', members: ['alice'] },
  { cn: 'ceda-staff', kind: 'posixGroup', members: ['alice', 'carol'] },
  { cn: 'nobody-here', kind: 'posixGroup', members: [] },
];

export const userDn = (uid: string) => `uid=${uid},${USERS_DN}`;
export const groupDn = (cn: string) => `cn=${cn},${GROUPS_DN}`;

export interface TestSlapd {
  /** ldap://127.0.0.1:<port> */
  url: string;
  baseDn: string;
  /** The rootdn (full access). */
  adminDn: string;
  adminPassword: string;
  /** Applies LDIF changes with `ldapmodify` bound as the admin. */
  modify(ldif: string): Promise<void>;
  /** Kills slapd (if running) and removes its directory. */
  stop(): Promise<void>;
}

/** {SSHA} as slappasswd makes it: base64(sha1(password + salt) + salt). */
export function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function seedLdif(): string {
  const blocks: string[] = [
    `dn: ${BASE_DN}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: granary\no: Granary test`,
    `dn: ${USERS_DN}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ${GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups`,
  ];
  SLAPD_USERS.forEach((u, i) => {
    const surname = u.cn.split(' ').at(-1) ?? u.uid;
    const lines = [
      `dn: ${userDn(u.uid)}`,
      'objectClass: inetOrgPerson',
      'objectClass: posixAccount',
      `uid: ${u.uid}`,
      `cn: ${u.cn}`,
      `sn: ${surname}`,
      `uidNumber: ${10000 + i}`,
      `gidNumber: ${10000 + i}`,
      `homeDirectory: /home/${u.uid}`,
      `userPassword: ${ssha(u.password)}`,
    ];
    if (u.mail) lines.push(`mail: ${u.mail}`);
    blocks.push(lines.join('\n'));
  });
  SLAPD_GROUPS.forEach((g, i) => {
    const lines = [`dn: ${groupDn(g.cn)}`, `cn: ${g.cn}`];
    if (g.kind === 'groupOfNames') {
      lines.push('objectClass: groupOfNames');
      // groupOfNames requires at least one member.
      for (const m of g.members.length ? g.members : ['nobody']) lines.push(`member: ${userDn(m)}`);
    } else {
      lines.push('objectClass: posixGroup', `gidNumber: ${20000 + i}`);
      for (const m of g.members) lines.push(`memberUid: ${m}`);
    }
    blocks.push(lines.join('\n'));
  });
  return blocks.join('\n\n') + '\n';
}

export async function startSlapd(): Promise<TestSlapd> {
  if (!existsSync(SLAPD_BIN)) throw new Error(`${SLAPD_BIN} not found (Debian packages slapd and ldap-utils; scripts/install-test-deps.sh)`);
  const dir = await mkdtemp(join(tmpdir(), 'granary-slapd-'));
  const dataDir = join(dir, 'data');
  await mkdir(dataDir);
  const adminDn = `cn=admin,${BASE_DN}`;
  const adminPassword = randomBytes(12).toString('hex');
  const conf = join(dir, 'slapd.conf');
  await writeFile(
    conf,
    [
      ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include ${SCHEMA_DIR}/${s}.schema`),
      `modulepath ${MODULE_DIR}`,
      'moduleload back_mdb',
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      'database mdb',
      'maxsize 16777216',
      `suffix "${BASE_DN}"`,
      `rootdn "${adminDn}"`,
      `rootpw ${ssha(adminPassword)}`,
      `directory ${dataDir}`,
      'index objectClass,uid,memberUid,member eq',
      'access to attrs=userPassword by self write by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  const seed = join(dir, 'seed.ldif');
  await writeFile(seed, seedLdif());

  let child: ChildProcess | undefined;
  const cleanup = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await execFileP(SLAPADD_BIN, ['-q', '-f', conf, '-l', seed]);
    let lastError = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const url = `ldap://127.0.0.1:${port}`;
      let stderr = '';
      // -d 0: stay in the foreground (so the child is slapd itself and kill() stops it), log nothing.
      const proc = spawn(SLAPD_BIN, ['-d', '0', '-f', conf, '-h', `${url}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = proc;
      proc.stderr!.on('data', (d: Buffer) => {
        if (stderr.length < 8192) stderr += d.toString();
      });
      const exited = new Promise<'exited'>((resolve) => proc.once('exit', () => resolve('exited')));
      proc.once('error', (e) => (stderr += String(e)));
      const deadline = Date.now() + 15000;
      let ready = false;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null || proc.signalCode !== null) break;
        if (await canConnect(port)) {
          ready = true;
          break;
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
      }
      if (ready) {
        return {
          url,
          baseDn: BASE_DN,
          adminDn,
          adminPassword,
          modify: (ldif: string) => ldapModify(url, adminDn, adminPassword, ldif, dir),
          stop: cleanup,
        };
      }
      lastError = stderr.trim() || `slapd exited with ${proc.exitCode ?? proc.signalCode}`;
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited;
      }
      child = undefined;
    }
    throw new Error(`slapd did not start: ${lastError}`);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Runs `ldapmodify` as the admin with the LDIF in a file (the password in a file too, not in argv). */
async function ldapModify(url: string, adminDn: string, adminPassword: string, ldif: string, dir: string): Promise<void> {
  const ldifFile = join(dir, `modify-${randomBytes(4).toString('hex')}.ldif`);
  const pwFile = join(dir, 'admin.pw');
  await writeFile(ldifFile, ldif);
  await writeFile(pwFile, adminPassword, { mode: 0o600 });
  try {
    await execFileP('ldapmodify', ['-x', '-H', url, '-D', adminDn, '-y', pwFile, '-f', ldifFile]);
  } finally {
    await rm(ldifFile, { force: true });
  }
}
