/**
 * Issue 4's permission matrix, through real signed S3 requests (AWS SDK v3 at the tenancy host names):
 * every principal × bucket × action cell asserted. Set-up only through the admin API.
 *
 * Expected rules (src/iam/authorize.ts): explicit policy Deny first; then an allow from site admin,
 * MANAGER/DEPUTY of the bucket's tenancy, the bucket owner, any member when default access is 'members',
 * a policy Allow, or an ACL grant; otherwise denied.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  CreateBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startServer, type TestServer } from '../helpers/server.js';
import { AdminClient, creds, makeActor, outcome, s3For, type Actor } from '../helpers/admin.js';

const A = 'perm-a';
const B = 'perm-b';
const C = 'perm-c';
const GROUP = 'perm-a-readers';
const GROUP_RW = 'perm-a-writers';

type Principal = 'admin' | 'manager' | 'deputy' | 'owner' | 'nonowner' | 'groupmember' | 'outsider' | 'anonymous';
type BucketKind = 'owned' | 'shared-r' | 'shared-rw' | 'public-policy' | 'public-acl' | 'foreign';
type Action = 'R' | 'L' | 'W' | 'D' | 'M' | 'P';

const PRINCIPALS: Principal[] = ['admin', 'manager', 'deputy', 'owner', 'nonowner', 'groupmember', 'outsider', 'anonymous'];
const BUCKETS: BucketKind[] = ['owned', 'shared-r', 'shared-rw', 'public-policy', 'public-acl', 'foreign'];
const ACTIONS: Action[] = ['R', 'L', 'W', 'D', 'M', 'P'];
const ACTION_NAMES = 'R=GetObject L=ListObjectsV2 W=PutObject D=DeleteObject M=DeleteObjects (POST ?delete, one key) P=PutBucketPolicy';

/**
 * Allowed actions per cell. The foreign bucket lives in tenancy B and is owned by `outsider`
 * (a USER of B), so the outsider's row shows an owner reaching their own bucket in their own tenancy.
 * The group members are USERs of A; `groupmember` is in both granted groups (read on shared-r, read-write
 * on shared-rw); `nonowner` is a USER of A in neither group.
 */
const EXPECTED: Record<Principal, Record<BucketKind, string>> = {
  admin: { owned: 'RLWDMP', 'shared-r': 'RLWDMP', 'shared-rw': 'RLWDMP', 'public-policy': 'RLWDMP', 'public-acl': 'RLWDMP', foreign: 'RLWDMP' },
  manager: { owned: 'RLWDMP', 'shared-r': 'RLWDMP', 'shared-rw': 'RLWDMP', 'public-policy': 'RLWDMP', 'public-acl': 'RLWDMP', foreign: '' },
  deputy: { owned: 'RLWDMP', 'shared-r': 'RLWDMP', 'shared-rw': 'RLWDMP', 'public-policy': 'RLWDMP', 'public-acl': 'RLWDMP', foreign: '' },
  owner: { owned: 'RLWDMP', 'shared-r': 'RLWDMP', 'shared-rw': 'RLWDMP', 'public-policy': 'RLWDMP', 'public-acl': 'RLWDMP', foreign: '' },
  nonowner: { owned: '', 'shared-r': '', 'shared-rw': '', 'public-policy': 'RL', 'public-acl': 'RL', foreign: '' },
  groupmember: { owned: '', 'shared-r': 'RL', 'shared-rw': 'RLWDM', 'public-policy': 'RL', 'public-acl': 'RL', foreign: '' },
  outsider: { owned: '', 'shared-r': '', 'shared-rw': '', 'public-policy': 'RL', 'public-acl': 'RL', foreign: 'RLWDMP' },
  anonymous: { owned: '', 'shared-r': '', 'shared-rw': '', 'public-policy': 'RL', 'public-acl': 'RL', foreign: '' },
};

let server: TestServer;
let admin: AdminClient;
const actors = new Map<Principal, Actor>();
const bucketName: Record<BucketKind, string> = {
  owned: 'owned',
  'shared-r': 'shared-r',
  'shared-rw': 'shared-rw',
  'public-policy': 'public-policy',
  'public-acl': 'public-acl',
  foreign: 'foreign',
};
const tenancyOf = (b: BucketKind): string => (b === 'foreign' ? B : A);
/** The policy each bucket has (re-put unchanged in the P column so the column changes nothing). */
const policies = new Map<BucketKind, object>();

const harmless = (bucket: string): object => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'Nobody', Effect: 'Allow', Principal: { AWS: ['arn:aws:iam:::user/nobody-at-all'] }, Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${bucket}/*`] }],
});
const groupPolicy = (bucket: string, group: string, actions: string[]): object => ({
  Version: '2012-10-17',
  Statement: [
    { Sid: 'GroupObjects', Effect: 'Allow', Principal: { AWS: [`arn:aws:iam:::group/${group}`] }, Action: actions, Resource: [`arn:aws:s3:::${bucket}/*`] },
    { Sid: 'GroupList', Effect: 'Allow', Principal: { AWS: [`arn:aws:iam:::group/${group}`] }, Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`] },
  ],
});

const clients = new Map<string, S3Client>();
function client(p: Principal, tenancy: string): S3Client {
  const id = `${p}@${tenancy}`;
  let c = clients.get(id);
  if (!c) {
    const host = `${tenancy}.s3.localhost`;
    if (p === 'anonymous') c = s3For(server, 'anonymous', { host });
    else if (p === 'admin') c = s3For(server, { accessKeyId: server.accessKey, secretAccessKey: server.secretKey }, { host });
    else c = s3For(server, creds(actors.get(p)!.key), { host });
    clients.set(id, c);
  }
  return c;
}

async function attempt(p: Principal, b: BucketKind, a: Action): Promise<string> {
  const c = client(p, tenancyOf(b));
  const Bucket = bucketName[b];
  switch (a) {
    case 'R':
      return outcome(c.send(new GetObjectCommand({ Bucket, Key: 'obj' })).then((r) => r.Body?.transformToString()));
    case 'L':
      return outcome(c.send(new ListObjectsV2Command({ Bucket })));
    case 'W':
      return outcome(c.send(new PutObjectCommand({ Bucket, Key: `written-by-${p}`, Body: `from ${p}` })));
    case 'D':
      return outcome(c.send(new DeleteObjectCommand({ Bucket, Key: `victim-${p}` })));
    case 'M':
      // Multi-object delete of one key: allowed = the key is in <Deleted>; denied = AccessDenied for the
      // request or for that key.
      return outcome(
        c.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: `multi-victim-${p}` }] } })).then((r) => {
          const e = r.Errors?.find((x) => x.Key === `multi-victim-${p}`);
          if (e) throw Object.assign(new Error(e.Message ?? e.Code), { Code: e.Code });
          if (!r.Deleted?.some((x) => x.Key === `multi-victim-${p}`)) throw Object.assign(new Error('not deleted'), { Code: 'NotInDeleted' });
        }),
      );
    case 'P':
      return outcome(c.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(policies.get(b) ?? harmless(Bucket)) })));
  }
}

before(async () => {
  server = await startServer();
  admin = AdminClient.site(server);
  await admin.createTenancy({ name: A });
  await admin.createTenancy({ name: B });
  // The harmless policy names a user who exists (a policy naming an unknown principal is refused) but is none of the matrix's.
  await admin.createUser({ username: 'nobody-at-all', password: 'nobody-at-all-password' });
  actors.set('manager', await makeActor(admin, 'pm-manager', A, 'MANAGER'));
  actors.set('deputy', await makeActor(admin, 'pm-deputy', A, 'DEPUTY'));
  actors.set('owner', await makeActor(admin, 'pm-owner', A, 'USER'));
  actors.set('nonowner', await makeActor(admin, 'pm-nonowner', A, 'USER'));
  actors.set('groupmember', await makeActor(admin, 'pm-grouped', A, 'USER'));
  actors.set('outsider', await makeActor(admin, 'pm-outsider', B, 'USER'));
  await admin.createGroup({ name: GROUP });
  await admin.createGroup({ name: GROUP_RW });
  await admin.addGroupMember(GROUP, { username: 'pm-grouped' });
  await admin.addGroupMember(GROUP_RW, { username: 'pm-grouped' });

  const owner = client('owner', A);
  for (const b of BUCKETS) {
    const c = b === 'foreign' ? client('outsider', B) : owner;
    const Bucket = bucketName[b];
    await c.send(new CreateBucketCommand({ Bucket }));
    await c.send(new PutObjectCommand({ Bucket, Key: 'obj', Body: `content of ${b}`, ACL: b === 'public-acl' ? 'public-read' : undefined }));
    for (const p of PRINCIPALS) {
      await c.send(new PutObjectCommand({ Bucket, Key: `victim-${p}`, Body: 'x' }));
      await c.send(new PutObjectCommand({ Bucket, Key: `multi-victim-${p}`, Body: 'x' }));
    }
  }
  policies.set('shared-r', groupPolicy('shared-r', GROUP, ['s3:GetObject']));
  policies.set('shared-rw', groupPolicy('shared-rw', GROUP_RW, ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']));
  policies.set('public-policy', {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::public-policy/*' },
      { Sid: 'PublicList', Effect: 'Allow', Principal: '*', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::public-policy' },
    ],
  });
  for (const [b, doc] of policies) await owner.send(new PutBucketPolicyCommand({ Bucket: bucketName[b], Policy: JSON.stringify(doc) }));
  await owner.send(new PutBucketAclCommand({ Bucket: 'public-acl', ACL: 'public-read' }));
});

after(async () => {
  for (const c of clients.values()) c.destroy();
  await server?.stop();
  server?.cleanup();
});

function render(table: Record<Principal, Record<BucketKind, string>>): string {
  const w = 16;
  const head = 'principal'.padEnd(w) + BUCKETS.map((b) => b.padEnd(w)).join('');
  const rows = PRINCIPALS.map((p) => p.padEnd(w) + BUCKETS.map((b) => table[p][b].padEnd(w)).join(''));
  return [head, ...rows].join('\n');
}

test('every principal × bucket × action cell, through signed S3 requests', async () => {
  const actual = {} as Record<Principal, Record<BucketKind, string>>;
  const expectedCells = {} as Record<Principal, Record<BucketKind, string>>;
  const oddities: string[] = [];
  for (const p of PRINCIPALS) {
    actual[p] = {} as Record<BucketKind, string>;
    expectedCells[p] = {} as Record<BucketKind, string>;
    for (const b of BUCKETS) {
      actual[p][b] = '';
      expectedCells[p][b] = ACTIONS.map((a) => (EXPECTED[p][b].includes(a) ? a : '-')).join('');
    }
  }
  // Reads, lists, writes and deletes first (in parallel per principal); policy changes last, each re-putting
  // the bucket's own policy (or a harmless one), so earlier cells are unaffected.
  const cells: Array<[Principal, BucketKind, Action]> = [];
  for (const a of ACTIONS) for (const p of PRINCIPALS) for (const b of BUCKETS) cells.push([p, b, a]);
  const results = new Map<string, string>();
  for (const phase of [['R', 'L', 'W', 'D', 'M'], ['P']]) {
    await Promise.all(
      cells
        .filter(([, , a]) => phase.includes(a))
        .map(async ([p, b, a]) => {
          results.set(`${p}|${b}|${a}`, await attempt(p, b, a));
        }),
    );
  }
  for (const p of PRINCIPALS) {
    for (const b of BUCKETS) {
      actual[p][b] = ACTIONS.map((a) => {
        const r = results.get(`${p}|${b}|${a}`)!;
        if (r === 'OK') return a;
        if (r === 'AccessDenied') return '-';
        oddities.push(`${p} ${a} on ${b}: ${r}`);
        return '?';
      }).join('');
    }
  }
  assert.deepEqual(
    actual,
    expectedCells,
    `permission matrix mismatch (${ACTION_NAMES}; '-' = AccessDenied, '?' = other error)\n` +
      `expected:\n${render(expectedCells)}\nactual:\n${render(actual)}\n${oddities.join('\n')}`,
  );
});

test('a tenancy with default access "members" lets any member reach any bucket; outsiders still not', async () => {
  await admin.createTenancy({ name: C });
  const t = await admin.updateTenancy(C, { defaultAccess: 'members' });
  assert.equal(t.defaultAccess, 'members');
  const creator = await makeActor(admin, 'pm-c-creator', C, 'USER');
  const member = await makeActor(admin, 'pm-c-member', C, 'USER');
  const host = `${C}.s3.localhost`;
  const cc = s3For(server, creds(creator.key), { host });
  const mc = s3For(server, creds(member.key), { host });
  const oc = s3For(server, creds(actors.get('outsider')!.key), { host });
  const anon = s3For(server, 'anonymous', { host });
  try {
    await cc.send(new CreateBucketCommand({ Bucket: 'common' }));
    await cc.send(new PutObjectCommand({ Bucket: 'common', Key: 'obj', Body: 'shared by default' }));
    const got = await mc.send(new GetObjectCommand({ Bucket: 'common', Key: 'obj' }));
    assert.equal(await got.Body!.transformToString(), 'shared by default');
    assert.equal(await outcome(mc.send(new ListObjectsV2Command({ Bucket: 'common' }))), 'OK');
    assert.equal(await outcome(mc.send(new PutObjectCommand({ Bucket: 'common', Key: 'by-member', Body: 'm' }))), 'OK');
    assert.equal(await outcome(mc.send(new DeleteObjectCommand({ Bucket: 'common', Key: 'obj' }))), 'OK');
    for (const [who, c] of [['outsider', oc], ['anonymous', anon]] as const) {
      assert.equal(await outcome(c.send(new GetObjectCommand({ Bucket: 'common', Key: 'by-member' }))), 'AccessDenied', `${who} read`);
      assert.equal(await outcome(c.send(new ListObjectsV2Command({ Bucket: 'common' }))), 'AccessDenied', `${who} list`);
      assert.equal(await outcome(c.send(new PutObjectCommand({ Bucket: 'common', Key: 'x', Body: 'x' }))), 'AccessDenied', `${who} write`);
    }
    // Back to 'owner': the member loses access at once.
    await admin.updateTenancy(C, { defaultAccess: 'owner' });
    assert.equal(await outcome(mc.send(new ListObjectsV2Command({ Bucket: 'common' }))), 'AccessDenied');
    assert.equal(await outcome(cc.send(new ListObjectsV2Command({ Bucket: 'common' }))), 'OK');
  } finally {
    for (const c of [cc, mc, oc, anon]) c.destroy();
  }
});

test('changes of group membership and role take effect on the next request', async () => {
  const grouped = client('groupmember', A);
  const plain = client('nonowner', A);
  assert.equal(await outcome(grouped.send(new PutObjectCommand({ Bucket: 'shared-rw', Key: 'g1', Body: 'x' }))), 'OK');
  await admin.request('DELETE', `/groups/${GROUP_RW}/members/pm-grouped`);
  assert.equal(await outcome(grouped.send(new PutObjectCommand({ Bucket: 'shared-rw', Key: 'g2', Body: 'x' }))), 'AccessDenied');
  assert.equal(await outcome(plain.send(new ListObjectsV2Command({ Bucket: 'owned' }))), 'AccessDenied');
  await admin.setRole(A, 'pm-nonowner', { role: 'DEPUTY' });
  assert.equal(await outcome(plain.send(new ListObjectsV2Command({ Bucket: 'owned' }))), 'OK');
  await admin.setRole(A, 'pm-nonowner', { role: 'USER' });
  assert.equal(await outcome(plain.send(new ListObjectsV2Command({ Bucket: 'owned' }))), 'AccessDenied');
});
