/**
 * `granary admin …` end to end against the real server: the command list, with --json output
 * parsed, credentials from flags, environment and a config file, --help, and errors with exit codes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { REPO_ROOT, startServer, type TestServer } from '../helpers/server.js';
import { run, sdkClient } from '../helpers/clients.js';

describe('granary admin CLI', () => {
  let s: TestServer;
  let home: string;
  before(async () => {
    s = await startServer();
    home = mkdtempSync(join(tmpdir(), 'granary-cli-'));
  });
  after(async () => {
    await s.stop();
    s.cleanup();
  });

  /** Runs the CLI as admin (credentials from the environment unless `who` overrides with flags). */
  function cli(args: string[], opts: { who?: [string, string]; env?: Record<string, string>; input?: string; fail?: boolean } = {}) {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GRANARY_URL: s.portalUrl, GRANARY_USER: 'admin', GRANARY_PASSWORD: 'admin-password-for-tests', ...opts.env };
    const flags = opts.who ? ['--user', opts.who[0], '--password', opts.who[1]] : [];
    const r = run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'admin', ...args, ...flags], { env, input: opts.input, allowFailure: true, cwd: REPO_ROOT });
    if (!opts.fail && r.status !== 0) assert.fail(`granary admin ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r;
  }
  const json = (args: string[], opts: Parameters<typeof cli>[1] = {}) => JSON.parse(cli([...args, '--json'], opts).stdout);

  test('tenancy create|list|show|set-quota|repair|delete', () => {
    assert.equal(json(['tenancy', 'create', 'cedadev-o']).name, 'cedadev-o');
    assert.deepEqual(json(['tenancy', 'list']).items.map((t: { name: string }) => t.name).sort(), ['cedadev-o', 'default']);
    const q = json(['tenancy', 'set-quota', 'cedadev-o', '10GiB', '--objects', '5000', '--action', 'read-only']);
    assert.deepEqual(q.quota, { bytes: 10737418240, objects: 5000, action: 'read-only' });
    const show = cli(['tenancy', 'show', 'cedadev-o']).stdout;
    assert.match(show, /used:\s+0 B/);
    assert.match(show, /limit:\s+10\.0 GiB/);
    assert.match(show, /percent:\s+0%/);
    assert.match(show, /level:\s+ok/);
    assert.match(show, new RegExp(`http://cedadev-o\\.s3\\.localhost:${s.port}`));
    assert.match(show, /https:\/\/cedadev-o\.s3-ext\.localhost/);
    assert.deepEqual(json(['tenancy', 'repair', 'cedadev-o']).drift, []);
    assert.equal(json(['tenancy', 'repair', 'cedadev-o', '--fix']).fixed, false);
    json(['tenancy', 'create', 'to-delete']);
    assert.deepEqual(json(['tenancy', 'delete', 'to-delete']), { deleted: 'to-delete' });
  });

  test('user create|list|passwd, member add|list|set-role|remove', () => {
    json(['user', 'create', 'mia', '--new-password', 'mia-password-1', '--display-name', 'Mia']);
    cli(['user', 'create', 'ben', '--new-password-stdin'], { input: 'ben-password-1\n' });
    assert.ok(json(['user', 'list']).items.some((u: { username: string }) => u.username === 'ben'));
    json(['member', 'add', 'cedadev-o', 'mia', '--role', 'MANAGER']);
    json(['member', 'add', 'cedadev-o', 'ben'], { who: ['mia', 'mia-password-1'] });
    assert.equal(json(['member', 'set-role', 'cedadev-o', 'ben', 'deputy'], { who: ['mia', 'mia-password-1'] }).role, 'DEPUTY');
    const members = json(['member', 'list', 'cedadev-o']).items.map((m: { username: string; role: string }) => `${m.username}:${m.role}`);
    assert.deepEqual(members.sort(), ['ben:DEPUTY', 'mia:MANAGER']);
    cli(['user', 'passwd', 'ben', '--new-password', 'ben-password-2'], { who: ['ben', 'ben-password-1'] });
    assert.equal(json(['member', 'list', 'cedadev-o'], { who: ['ben', 'ben-password-2'] }).items.length, 2);
    json(['member', 'remove', 'cedadev-o', 'ben'], { who: ['mia', 'mia-password-1'] });
    assert.equal(json(['member', 'list', 'cedadev-o']).items.length, 1);
  });

  test('group create|add|remove|list', () => {
    json(['group', 'create', 'climate']);
    json(['group', 'add', 'climate', 'mia']);
    assert.deepEqual(json(['group', 'list', 'climate']).items.map((u: { username: string }) => u.username), ['mia']);
    const groups = json(['group', 'list']).items;
    assert.ok(groups.some((g: { name: string; source: string }) => g.name === 'cedadev-o-members' && g.source === 'tenancy'));
    json(['group', 'remove', 'climate', 'mia']);
    assert.deepEqual(json(['group', 'list', 'climate']).items, []);
  });

  test('key create|list|delete: the printed secret works with the SDK; list never shows it', async () => {
    const k = json(['key', 'create', 'cedadev-o', 'analysis', '--expires', '30d'], { who: ['mia', 'mia-password-1'] });
    assert.ok(k.accessKeyId && k.secretAccessKey);
    const client = new S3Client({ endpoint: s.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey } });
    assert.equal((await client.send(new ListBucketsCommand({}))).$metadata.httpStatusCode, 200);
    const human = cli(['key', 'create', 'cedadev-o', 'human', '--expires', '2d', '--read-only', '--scope', 'data/raw'], { who: ['mia', 'mia-password-1'] }).stdout;
    assert.match(human, /access key id:\s+GR[A-Z2-7]{18}/);
    assert.match(human, /secret key:\s+\S{20,}/);
    const list = cli(['key', 'list', '--json'], { who: ['mia', 'mia-password-1'] }).stdout;
    assert.ok(!list.includes(k.secretAccessKey));
    assert.equal(JSON.parse(list).items.length, 2);
    json(['key', 'delete', k.accessKeyId], { who: ['mia', 'mia-password-1'] });
    await assert.rejects(client.send(new ListBucketsCommand({})), (e: Error) => e.name === 'InvalidAccessKeyId');
    const tooLong = cli(['key', 'create', 'cedadev-o', 'x', '--expires', '400d'], { who: ['mia', 'mia-password-1'], fail: true });
    assert.equal(tooLong.status, 1);
    assert.match(tooLong.stderr, /at most 365 days/);
    const noExpiry = cli(['key', 'create', 'cedadev-o', 'x'], { who: ['mia', 'mia-password-1'], fail: true });
    assert.equal(noExpiry.status, 2);
    assert.ok(!s.output().includes(k.secretAccessKey));
  });

  test('request create|list|approve|reject', () => {
    json(['user', 'create', 'olu', '--new-password', 'olu-password-1']);
    const r = json(['request', 'create', 'cedadev-o', '-m', 'please let me in'], { who: ['olu', 'olu-password-1'] });
    assert.equal(r.status, 'pending');
    const pending = json(['request', 'list', 'cedadev-o', '--status', 'pending'], { who: ['mia', 'mia-password-1'] }).items;
    assert.deepEqual(pending.map((p: { id: string }) => p.id), [r.id]);
    assert.equal(json(['request', 'approve', 'cedadev-o', r.id, '--role', 'DEPUTY'], { who: ['mia', 'mia-password-1'] }).role, 'DEPUTY');
    assert.equal(json(['request', 'list'], { who: ['olu', 'olu-password-1'] }).items[0].status, 'approved');
    json(['user', 'create', 'pat', '--new-password', 'pat-password-1']);
    const r2 = json(['request', 'create', 'cedadev-o'], { who: ['pat', 'pat-password-1'] });
    assert.equal(json(['request', 'reject', 'cedadev-o', r2.id], { who: ['olu', 'olu-password-1'] }).status, 'rejected');
    assert.equal(json(['request', 'list'], { who: ['pat', 'pat-password-1'] }).items[0].status, 'rejected');
  });

  test('policy get|set|delete, with the parser message on a malformed policy', async () => {
    await sdkClient(s).send(new CreateBucketCommand({ Bucket: 'cli-policy' }));
    const file = join(home, 'policy.json');
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::cli-policy/*' }] };
    writeFileSync(file, JSON.stringify(policy));
    json(['policy', 'set', 'default', 'cli-policy', file]);
    assert.deepEqual(json(['policy', 'get', 'default', 'cli-policy']).policy, policy);
    const bad = cli(['policy', 'set', 'default', 'cli-policy', '-'], { input: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}', fail: true });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /HTTP 400/);
    json(['policy', 'delete', 'default', 'cli-policy']);
    assert.equal(cli(['policy', 'get', 'default', 'cli-policy'], { fail: true }).status, 1);
  });

  test('credentials from a config file; --help everywhere; clear errors and exit codes', () => {
    const cfg = join(home, 'cli.json');
    writeFileSync(cfg, JSON.stringify({ url: s.portalUrl, user: 'mia', password: 'mia-password-1' }));
    const me = cli(['member', 'list', 'cedadev-o', '--json', '--config', cfg], { env: { GRANARY_USER: '', GRANARY_PASSWORD: '', GRANARY_URL: '' } });
    assert.ok(JSON.parse(me.stdout).items.length >= 1);
    const top = cli(['--help']).stdout;
    for (const c of ['tenancy create', 'tenancy set-quota', 'user passwd', 'member set-role', 'group add', 'key create', 'request approve', 'policy set', 'tenancy repair']) assert.ok(top.includes(c), c);
    assert.match(cli(['tenancy', 'set-quota', '--help']).stdout, /--action/);
    assert.match(cli(['key', 'create', '--help']).stdout, /--expires/);
    const denied = cli(['tenancy', 'list'], { who: ['mia', 'mia-password-1'], fail: true });
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /site administrator \(HTTP 403\)/);
    const wrong = cli(['tenancy', 'list', '--json'], { who: ['mia', 'wrong-password'], fail: true });
    assert.equal(wrong.status, 1);
    assert.equal(JSON.parse(wrong.stdout).status, 401);
    assert.equal(cli(['tenancy', 'frobnicate'], { fail: true }).status, 2);
    assert.equal(cli(['tenancy', 'show'], { fail: true }).status, 2);
    assert.equal(cli(['tenancy', 'list', '--bogus'], { fail: true }).status, 2);
    assert.equal(cli(['tenancy', 'set-quota', 'cedadev-o', 'lots'], { fail: true }).status, 2);
    const down = cli(['tenancy', 'list'], { env: { GRANARY_URL: 'http://127.0.0.1:1' }, fail: true });
    assert.equal(down.status, 3);
    assert.match(down.stderr, /cannot reach/);
  });
});
