/**
 * LdapDirectory against a real OpenLDAP server (Debian's slapd, see test/helpers/slapd.ts) and a real
 * SQLite metadata store. Skipped only when slapd is not installed and CI is not set; under CI it runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { openSqliteMetadataStore } from '../../metadata/sqlite/sqlite-store.js';
import type { MetadataStore } from '../../metadata/store.js';
import {
  GROUPS_DN,
  SLAPD_BIN,
  USERS_DN,
  groupDn,
  startSlapd,
  userDn,
  type TestSlapd,
} from '../../../test/helpers/slapd.js';
import { LdapDirectory, LdapUnavailableError, escapeFilterValue, fillFilter, type LdapDirectoryConfig } from './ldap.js';

describe('LDAP filter escaping (RFC 4515)', () => {
  it('escapes the filter metacharacters and nothing else', () => {
    assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('a\\b\0c'), 'a\\5cb\\00c');
    assert.equal(escapeFilterValue('jörg.o-k_1'), 'jörg.o-k_1');
  });
  it('fills placeholders with escaped values and leaves unknown ones', () => {
    assert.equal(fillFilter('(|(member={dn})(memberUid={username})){x}', { dn: 'cn=a\\,b', username: 'u*' }), '(|(member=cn=a\\5c,b)(memberUid=u\\2a)){x}');
    assert.equal(fillFilter('(uid={username})', { username: '$&' }), '(uid=$&)');
  });
});

const missing = !existsSync(SLAPD_BIN);
const skip = missing && !process.env.CI ? `${SLAPD_BIN} is not installed (run scripts/install-test-deps.sh); set CI to make this a failure` : false;

describe('LdapDirectory with slapd', { skip }, () => {
  let slapd: TestSlapd;
  let metadata: MetadataStore;
  let dir: LdapDirectory;
  const config = (over: Partial<LdapDirectoryConfig> = {}): LdapDirectoryConfig => ({
    url: slapd.url,
    userBase: USERS_DN,
    groupBase: GROUPS_DN,
    timeoutMs: 3000,
    ...over,
  });
  const groupsOf = async (username: string) => {
    const u = await metadata.getUserByName(username);
    assert.ok(u, `user ${username} exists`);
    return metadata.listGroupsOfUser(u.id);
  };

  before(async () => {
    slapd = await startSlapd();
    metadata = await openSqliteMetadataStore(':memory:');
    dir = new LdapDirectory(metadata, config());
  });
  after(async () => {
    await dir?.close();
    await metadata?.close();
    await slapd?.stop();
  });

  it('signs in with the directory password, creating the user with directory name, email and groups', async () => {
    const user = await dir.authenticate('alice', 'alice-secret');
    assert.ok(user);
    assert.equal(user.username, 'alice');
    assert.equal(user.displayName, 'Alice Liddell');
    assert.equal(user.email, 'alice@example.org');
    assert.equal(user.passwordHash, '');
    assert.equal(user.isSiteAdmin, false);
    assert.deepEqual(await groupsOf('alice'), ['ceda-staff', 'cedadev-admins', 'researchers']);
    for (const name of ['ceda-staff', 'cedadev-admins', 'researchers']) {
      assert.equal((await metadata.getGroupByName(name))?.source, 'ldap', name);
    }
    assert.equal(dir.kind, 'ldap');
    assert.equal(dir.managesPasswords, false);
  });

  it('finds posixGroup memberships by memberUid; a missing mail is an empty email', async () => {
    const user = await dir.authenticate('carol', 'carol-secret');
    assert.ok(user);
    assert.equal(user.displayName, 'Carol Danvers');
    assert.equal(user.email, '');
    assert.deepEqual(await groupsOf('carol'), ['ceda-staff']);
  });

  it('signs the same user in again, also when the username is typed in another case', async () => {
    const first = await metadata.getUserByName('alice');
    const again = await dir.authenticate('alice', 'alice-secret');
    const upper = await dir.authenticate('ALICE', 'alice-secret');
    assert.equal(again?.id, first?.id);
    assert.equal(upper?.id, first?.id);
    assert.equal(upper?.username, 'alice');
    assert.equal(await metadata.getUserByName('ALICE'), undefined);
  });

  it('refuses a wrong password, an unknown user and empty credentials', async () => {
    assert.equal(await dir.authenticate('alice', 'wrong'), undefined);
    assert.equal(await dir.authenticate('alice', 'bob-secret'), undefined);
    assert.equal(await dir.authenticate('mallory', 'alice-secret'), undefined);
    assert.equal(await dir.authenticate('alice', ''), undefined);
    assert.equal(await dir.authenticate('', 'alice-secret'), undefined);
    assert.equal(await dir.authenticate('', ''), undefined);
    assert.equal(await metadata.getUserByName('mallory'), undefined);
  });

  it('refuses filter injection in the username', async () => {
    for (const name of ['*', '*)(uid=*', 'al*', 'alice)(|(uid=*', '*)(|(uid=*))(|(uid=*', 'alice\0', '(uid=alice)', 'alice)(objectClass=*']) {
      assert.equal(await dir.authenticate(name, 'alice-secret'), undefined, JSON.stringify(name));
    }
    assert.equal((await metadata.listUsers()).some((u) => /[*()\0]/.test(u.username)), false);
  });

  it('follows group changes in the directory at the next sign-in, keeping local groups', async () => {
    const bob = await dir.authenticate('bob', 'bob-secret');
    assert.ok(bob);
    assert.deepEqual(await groupsOf('bob'), ['researchers']);
    const local = await metadata.createGroup('local-team', 'local');
    await metadata.addGroupMember(local.id, bob.id);

    await slapd.modify(
      [
        `dn: ${groupDn('researchers')}`,
        'changetype: modify',
        'delete: member',
        `member: ${userDn('bob')}`,
        '',
        `dn: ${groupDn('nobody-here')}`,
        'changetype: modify',
        'add: memberUid',
        'memberUid: bob',
        '',
        `dn: cn=new-team,${GROUPS_DN}`,
        'changetype: add',
        'objectClass: groupOfNames',
        'cn: new-team',
        `member: ${userDn('bob')}`,
        '',
      ].join('\n'),
    );
    // Until bob signs in again, Granary keeps what it saw.
    assert.deepEqual(await groupsOf('bob'), ['local-team', 'researchers']);
    assert.ok(await dir.authenticate('bob', 'bob-secret'));
    assert.deepEqual(await groupsOf('bob'), ['local-team', 'new-team', 'nobody-here']);
    // Alice's memberships are untouched by bob's sign-in.
    assert.deepEqual(await groupsOf('alice'), ['ceda-staff', 'cedadev-admins', 'researchers']);
  });

  it('follows display name and email changes in the directory', async () => {
    await slapd.modify(
      [`dn: ${userDn('bob')}`, 'changetype: modify', 'replace: cn', 'cn: Robert Builder', '-', 'replace: mail', 'mail: robert@example.org', ''].join('\n'),
    );
    const bob = await dir.authenticate('bob', 'bob-secret');
    assert.equal(bob?.displayName, 'Robert Builder');
    assert.equal(bob?.email, 'robert@example.org');
    assert.equal((await metadata.getUserByName('bob'))?.email, 'robert@example.org');
  });

  it('never makes a directory user a site admin, and keeps an admin flag set in Granary', async () => {
    const carol = await metadata.getUserByName('carol');
    assert.ok(carol);
    assert.equal(carol.isSiteAdmin, false);
    await metadata.updateUser(carol.id, { isSiteAdmin: true });
    assert.equal((await dir.authenticate('carol', 'carol-secret'))?.isSiteAdmin, true);
  });

  it('searches with a service account when configured, and a refused service account is an error', async () => {
    const svc = new LdapDirectory(metadata, config({ bindDn: slapd.adminDn, bindPassword: slapd.adminPassword }));
    try {
      assert.equal((await svc.authenticate('alice', 'alice-secret'))?.username, 'alice');
      assert.equal(await svc.authenticate('alice', 'nope'), undefined);
    } finally {
      await svc.close();
    }
    const bad = new LdapDirectory(metadata, config({ bindDn: slapd.adminDn, bindPassword: 'not-it' }));
    try {
      await assert.rejects(bad.authenticate('alice', 'alice-secret'), (err: Error) => {
        assert.ok(err instanceof LdapUnavailableError);
        assert.match(err.message, /refused the service account/);
        assert.doesNotMatch(err.message, /alice-secret|not-it/);
        return true;
      });
    } finally {
      await bad.close();
    }
  });

  it('uses custom filters and attributes', async () => {
    const custom = new LdapDirectory(
      metadata,
      config({ userFilter: '(&(objectClass=inetOrgPerson)(mail={username}))', usernameAttribute: 'mail', groupFilter: '(memberUid={username})', displayNameAttribute: 'sn' }),
    );
    try {
      const u = await custom.authenticate('alice@example.org', 'alice-secret');
      assert.equal(u?.username, 'alice@example.org');
      assert.equal(u?.displayName, 'Liddell');
      // memberUid holds uids, not emails: no groups match.
      assert.deepEqual(await groupsOf('alice@example.org'), []);
    } finally {
      await custom.close();
    }
  });

  it('throws (not undefined) when the directory is unreachable or does not answer', async () => {
    // A port nobody listens on.
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const down = new LdapDirectory(metadata, config({ url: `ldap://127.0.0.1:${closed}` }));
    await assert.rejects(down.authenticate('alice', 'alice-secret'), (err: Error) => {
      assert.ok(err instanceof LdapUnavailableError);
      assert.match(err.message, /unavailable/);
      assert.doesNotMatch(err.message, /alice-secret/);
      return true;
    });
    await down.close();

    // A server that accepts connections and never answers: the timeout applies.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const hung = new LdapDirectory(metadata, config({ url: `ldap://127.0.0.1:${port}`, timeoutMs: 300, bindDn: slapd.adminDn, bindPassword: 'x' }));
    const started = Date.now();
    try {
      await assert.rejects(hung.authenticate('alice', 'alice-secret'), LdapUnavailableError);
      assert.ok(Date.now() - started < 5000, 'gave up within the timeout');
    } finally {
      await hung.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('throws when the directory goes away (not a wrong password)', async () => {
    const other = await startSlapd();
    const gone = new LdapDirectory(metadata, config({ url: other.url }));
    try {
      assert.ok(await gone.authenticate('alice', 'alice-secret'));
      await other.stop();
      await assert.rejects(gone.authenticate('alice', 'alice-secret'), LdapUnavailableError);
      await assert.rejects(gone.authenticate('alice', 'wrong'), LdapUnavailableError);
    } finally {
      await gone.close();
      await other.stop();
    }
  });
});
