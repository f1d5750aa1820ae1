/**
 * Issue 21 in Chromium, end to end: each thing users hit, as they would meet it, with the real server,
 * a real SMTP server (aiosmtpd) reading the mail it sends, the real CLI and real S3 clients. Sharing by a
 * bucket's owner, grants as a list, unknown principals refused everywhere, shared with me, confirmations
 * (and a rejection's reason), sign-in mistakes, key expiry and reminders, ready-made configurations
 * (AWS CLI v2 run as shown), the portal key, managers revoking keys, changing one's password, listed
 * tenancies, join-request and quota mail, USER `tenancy show`, what is using the space and aborting an
 * upload, plain-word errors, the landing page and prefix share links, and the accessibility items.
 * With GRANARY_DOC_SCREENSHOTS=1 the screenshots of docs/portal.md are (re)made into docs/portal/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  AbortMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetBucketPolicyStatusCommand, GetObjectCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, PutBucketPolicyCommand, PutObjectCommand, S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT, startServer, type TestServer } from '../helpers/server.js';
import { adminCall as admin, API, ensurePortalBuilt, launchChromium, manage, pw, signIn, skipWithoutChromium } from '../helpers/portal.js';
import { run } from '../helpers/clients.js';
import { hasAiosmtpd, startSmtp, type SmtpServer } from '../helpers/smtp.js';

const T = 'proj-t';
const OTHER = 'other-t';
const DOCS = process.env.GRANARY_DOC_SCREENSHOTS === '1';
const SHOTS = DOCS ? join(REPO_ROOT, 'docs', 'portal') : join(REPO_ROOT, 'test-output', 'e2e', 'toolkit');
const DAY = 86_400_000;
const skip = skipWithoutChromium || (hasAiosmtpd() ? false : 'python3-aiosmtpd is not installed (scripts/install-test-deps.sh installs it)');

/** A screenshot of the viewport (small PNGs for the guide). */
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

describe('the portal and CLI as a whole toolkit (issue 21, Chromium)', { skip }, () => {
  let s: TestServer;
  let smtp: SmtpServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const work = mkdtempSync(join(tmpdir(), 'granary-toolkit-'));

  const ctx = async (width = 1100, height = 800): Promise<BrowserContext> => {
    const c = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
    contexts.push(c);
    return c;
  };
  const keyOf = async (user: string, tenancy: string, days = 30) =>
    (await admin(s, 'POST', '/me/keys', { tenancy, name: `k-${Math.random().toString(36).slice(2, 8)}`, expiresAt: new Date(Date.now() + days * DAY).toISOString() }, user, pw(user))) as { accessKeyId: string; secretAccessKey: string };
  const s3of = (k: { accessKeyId: string; secretAccessKey: string }) =>
    new S3Client({ endpoint: s.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey } });
  const cli = (args: string[], user: string, password = pw(user), allowFailure = false) =>
    run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/main.ts'), 'admin', ...args], {
      env: { ...process.env, GRANARY_URL: s.portalUrl, GRANARY_USER: user, GRANARY_PASSWORD: password, HOME: work, XDG_CONFIG_HOME: join(work, '.config') },
      cwd: REPO_ROOT,
      allowFailure,
    });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    ensurePortalBuilt();
    smtp = await startSmtp();
    s = await startServer({
      env: {
        GRANARY_SMTP_HOST: '127.0.0.1',
        GRANARY_SMTP_PORT: String(smtp.port),
        GRANARY_SMTP_TLS: 'none',
        GRANARY_SMTP_FROM: 'Granary <granary@example.org>',
        GRANARY_NOTICE_INTERVAL_MS: '1000',
        GRANARY_MAX_KEY_LIFETIME_DAYS: '90',
      },
    });
    for (const u of ['mgr', 'own', 'peer', 'out', 'newbie']) await admin(s, 'POST', '/users', { username: u, password: pw(u), displayName: u.toUpperCase(), email: `${u}@example.org` });
    for (const t of [T, OTHER]) await admin(s, 'POST', '/tenancies', { name: t });
    await admin(s, 'POST', `/tenancies/${T}/members`, { username: 'mgr', role: 'MANAGER' });
    await admin(s, 'POST', `/tenancies/${T}/members`, { username: 'own', role: 'USER' });
    await admin(s, 'POST', `/tenancies/${T}/members`, { username: 'peer', role: 'USER' });
    await admin(s, 'POST', `/tenancies/${OTHER}/members`, { username: 'out', role: 'MANAGER' });
    const own = s3of(await keyOf('own', T));
    await own.send(new CreateBucketCommand({ Bucket: 'own-data' }));
    await own.send(new PutObjectCommand({ Bucket: 'own-data', Key: 'raw/a.nc', Body: 'alpha' }));
    await own.send(new PutObjectCommand({ Bucket: 'own-data', Key: 'raw/deep/b.nc', Body: 'bravo-bravo' }));
    await own.send(new PutObjectCommand({ Bucket: 'own-data', Key: 'notes.txt', Body: 'n' }));
    browser = await launchChromium();
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await s?.stop();
    s?.cleanup();
    await smtp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("a bucket's owner shares it from the portal; grants are a list with remove; a typo is refused with autocomplete offered", async () => {
    const page = await signIn(await ctx(), s, 'own');
    await manage(page, s, T, 'buckets', 'own');
    await page.getByRole('button', { name: 'Sharing of own-data' }).click();
    await page.locator('[data-loaded="true"]').waitFor();
    // Autocomplete: the tenancy's users and groups.
    const names = async () => page.locator('#grant-names option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.ok((await names()).includes('peer'));
    await page.locator('#grant-kind').selectOption('group');
    assert.ok((await names()).includes(`${T}-members`));
    // The typo of the issue: refused in words, nothing saved.
    await page.locator('#grant-who').fill(`${T}-member`);
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: /no such group/ }).waitFor();
    assert.equal(await page.locator('tr[data-grant]').count(), 0);
    // A real grant: a user, read-write, on a prefix.
    await page.locator('#grant-kind').selectOption('user');
    await page.locator('#grant-who').fill('peer');
    await page.locator('#grant-level').selectOption('read-write');
    await page.locator('#grant-prefix').fill('raw/');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    const row = page.locator('tr[data-grant="user:peer"]');
    await row.waitFor();
    assert.match(await row.innerText(), /read-write[\s\S]*raw\//);
    assert.equal(await page.getByRole('alert').count(), 0, 'the earlier error is gone once a change succeeded');
    await shot(page, 'sharing');
    // S3 enforces it: peer reads and writes under raw/, not elsewhere.
    const peer = s3of(await keyOf('peer', T));
    assert.equal(await (await peer.send(new GetObjectCommand({ Bucket: 'own-data', Key: 'raw/a.nc' }))).Body!.transformToString(), 'alpha');
    await peer.send(new PutObjectCommand({ Bucket: 'own-data', Key: 'raw/from-peer.txt', Body: 'p' }));
    await assert.rejects(peer.send(new GetObjectCommand({ Bucket: 'own-data', Key: 'notes.txt' })), /Access ?Denied/);
    // Remove per grant, then grant again (the next tests need it) through the CLI.
    await row.getByRole('button', { name: /Remove the grant to user peer/ }).click();
    await row.waitFor({ state: 'detached' });
    await assert.rejects(peer.send(new GetObjectCommand({ Bucket: 'own-data', Key: 'raw/a.nc' })), /Access ?Denied/);
    cli(['policy', 'grant', T, 'own-data', 'user:peer', '--access', 'read'], 'own');
    assert.match(cli(['policy', 'grants', T, 'own-data'], 'own').stdout, /user:peer\s+read\s+\(whole bucket\)/);
  });

  test('a grant to someone who does not exist is refused by the admin API, the CLI and PutBucketPolicy (MalformedPolicy)', async () => {
    const r = await fetch(`${s.portalUrl}${API}/tenancies/${T}/buckets/own-data/grants`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`own:${pw('own')}`).toString('base64'), 'content-type': 'application/json' },
      body: JSON.stringify({ principal: `group:${T}-member`, access: 'read' }),
    });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { detail: string }).detail, /no such group "proj-t-member"/);
    const c = cli(['policy', 'grant', T, 'own-data', 'user:nobody-here'], 'own', pw('own'), true);
    assert.equal(c.status, 1);
    assert.match(c.stderr, /no such user "nobody-here"/);
    const own = s3of(await keyOf('own', T));
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: [`arn:aws:iam:::group/${T}-member`] }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::own-data/*' }] };
    await assert.rejects(own.send(new PutBucketPolicyCommand({ Bucket: 'own-data', Policy: JSON.stringify(policy) })), (e: Error & { name: string }) => e.name === 'MalformedPolicy' && /Invalid principal in policy/.test(e.message));
  });

  test('"make public" is a server operation GetBucketPolicyStatus agrees with; the CLI does it too', async () => {
    const own = s3of(await keyOf('own', T));
    cli(['policy', 'public', T, 'own-data', 'on'], 'own');
    assert.equal((await own.send(new GetBucketPolicyStatusCommand({ Bucket: 'own-data' }))).PolicyStatus?.IsPublic, true);
    assert.equal((await fetch(`${s.url}/${T}:own-data/notes.txt`)).status, 200);
    cli(['policy', 'public', T, 'own-data', 'off'], 'own');
    assert.equal((await own.send(new GetBucketPolicyStatusCommand({ Bucket: 'own-data' }))).PolicyStatus?.IsPublic, false);
    assert.equal((await fetch(`${s.url}/${T}:own-data/notes.txt`)).status, 403);
  });

  test('shared with me: the list on the home page and in the objects browser, from S3\'s own decision, across tenancies', async () => {
    await admin(s, 'POST', `/tenancies/${T}/buckets/own-data/grants`, { principal: 'user:out', access: 'read', prefix: 'raw/' }, 'own', pw('own'));
    // peer (same tenancy, whole bucket) and out (another tenancy, a prefix only).
    const peer = await signIn(await ctx(), s, 'peer');
    const shared = peer.locator(`tr[data-shared="${T}:own-data"]`);
    await shared.waitFor();
    assert.match(await shared.innerText(), /own[\s\S]*read[\s\S]*whole bucket/);
    const out = await signIn(await ctx(), s, 'out');
    const row = out.locator(`tr[data-shared="${T}:own-data"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /raw\//);
    await row.getByRole('link', { name: 'own-data' }).click();
    // Shared only under raw/: the browser opens there.
    await out.locator('tr[data-key="raw/a.nc"]').waitFor();
    await shot(out, 'shared-with-me');
    // In the objects browser of their own tenancy too.
    await manage(out, s, OTHER, 'objects', 'out');
    const options = await out.locator('#obj-bucket optgroup[label="Shared with me"] option').allInnerTexts();
    assert.ok(options.some((o) => o.startsWith('own-data')), options.join());
    // The newbie, member of nothing, has nothing shared and says so.
    const nb = await signIn(await ctx(), s, 'newbie');
    await nb.getByText('Nothing is shared with you yet.').waitFor();
  });

  test('removing a policy asks first', async () => {
    const page = await signIn(await ctx(), s, 'own');
    await manage(page, s, T, 'buckets', 'own');
    await page.getByRole('button', { name: 'Sharing of own-data' }).click();
    await page.locator('[data-loaded="true"]').waitFor();
    await page.getByText('Policy as JSON (for experts)').click();
    await page.getByRole('button', { name: 'Remove policy…' }).click();
    const dialog = page.getByRole('dialog', { name: /Remove the whole policy of own-data/ });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.ok((await admin(s, 'GET', `/tenancies/${T}/buckets/own-data/policy`, undefined, 'own', pw('own'))) !== undefined, 'Cancel kept the policy');
  });

  test('a wrong password at "Confirm it is you" says so and keeps the session and the page', async () => {
    const page = await signIn(await ctx(), s, 'peer');
    await page.goto(`${s.portalUrl}/_admin/portal/#/t/${T}/keys`);
    await page.locator('#elevate-password').fill('not-my-password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').filter({ hasText: 'that is not your password' }).waitFor();
    assert.equal(await page.locator('#elevate-password').isVisible(), true, 'still on the confirmation');
    assert.equal(await page.getByRole('button', { name: 'Sign in' }).count(), 0, 'not sent to the sign-in page');
    await page.waitForFunction((t) => document.title === `Confirm it is you — ${t} — Granary`, T);
    await page.locator('#elevate-password').fill(pw('peer'));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('tablist').waitFor();
  });

  test('the expiry picker stops at the site\'s longest lifetime and errors speak plainly; expired keys are marked and last (portal and CLI)', async () => {
    const page = await signIn(await ctx(), s, 'peer');
    await manage(page, s, T, 'keys', 'peer');
    const max = await page.locator('#key-expires').getAttribute('max');
    assert.equal(max, new Date(Date.now() + 90 * DAY).toISOString().slice(0, 10));
    // The server's own refusal, past the picker: in words, no field name.
    const r = await fetch(`${s.portalUrl}${API}/me/keys`, { method: 'POST', headers: { authorization: 'Basic ' + Buffer.from(`peer:${pw('peer')}`).toString('base64'), 'content-type': 'application/json' }, body: JSON.stringify({ tenancy: T, name: 'x', expiresAt: new Date(Date.now() + 200 * DAY).toISOString() }) });
    const detail = ((await r.json()) as { detail: string }).detail;
    assert.match(detail, /expiry date must be at most 90 days/);
    assert.doesNotMatch(detail, /expiresAt/);
    // A key that expires in two seconds, and a live one.
    const soon = (await admin(s, 'POST', '/me/keys', { tenancy: T, name: 'short-lived', expiresAt: new Date(Date.now() + 2000).toISOString() }, 'peer', pw('peer'))) as { accessKeyId: string };
    await new Promise((res) => setTimeout(res, 2500));
    await page.reload();
    await page.locator('#elevate-password').fill(pw('peer')).catch(() => undefined);
    if (await page.locator('#elevate-password').isVisible()) await page.getByRole('button', { name: 'Continue' }).click();
    const rows = page.locator('tr[data-key-id]');
    await page.locator(`tr[data-key-id="${soon.accessKeyId}"]`).waitFor();
    const ids = await rows.evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-key-id'), r.getAttribute('data-expired')]));
    assert.deepEqual(ids.at(-1), [soon.accessKeyId, 'true'], 'the expired key is last');
    assert.match(await page.locator(`tr[data-key-id="${soon.accessKeyId}"]`).innerText(), /Expired/);
    const list = cli(['key', 'list'], 'peer').stdout.trim().split('\n');
    assert.match(list.at(-1)!, new RegExp(`${soon.accessKeyId}.*EXPIRED`));
    assert.ok(list.slice(1, -1).every((l) => !/EXPIRED/.test(l)), list.join('\n'));
  });

  test('a reminder email 14 days before a key expires, sent once', async () => {
    const k = (await admin(s, 'POST', '/me/keys', { tenancy: T, name: 'ten-days', expiresAt: new Date(Date.now() + 10 * DAY).toISOString() }, 'own', pw('own'))) as { accessKeyId: string };
    const got = await smtp.waitFor((m) => m.some((x) => x.to.includes('own@example.org') && x.subject.includes('"ten-days"')));
    const mail = got.find((x) => x.subject.includes('"ten-days"'))!;
    assert.match(mail.subject, /expires on \d{4}-\d{2}-\d{2}/);
    assert.match(mail.body, new RegExp(k.accessKeyId));
    assert.match(mail.from, /granary@example\.org/);
    await new Promise((res) => setTimeout(res, 3000)); // three more passes of the job
    assert.equal(smtp.messages().filter((x) => x.subject.includes('"ten-days"')).length, 1, 'never twice');
  });

  test('ready-made configurations: both endpoints, the credentials JSON, xarray, and an AWS CLI v2 form that works as shown', async () => {
    const page = await signIn(await ctx(), s, 'own');
    await manage(page, s, T, 'keys', 'own');
    await page.locator('#key-name').fill('laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const internal = dialog.locator('[data-config="internal-aws"]');
    await internal.locator('summary').click();
    const files = await internal.locator('pre[data-file]').evaluateAll((ps) => ps.map((p) => [p.getAttribute('data-file')!, p.textContent!]));
    const command = (await internal.locator('pre[data-command]').innerText()).trim();
    assert.match(await internal.innerText(), /ignored by AWS CLI v2 before 2\.13/);
    // Run it as written, with Debian's AWS CLI v2, in a fresh home folder (the endpoint is the internal URL: send its host to 127.0.0.1).
    const home = mkdtempSync(join(work, 'home-'));
    for (const [path, text] of files) {
      const p = join(home, path.replace(/^~\//, ''));
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, text);
    }
    const args = command.split(/\s+/).slice(1).map((a) => (a.startsWith('http://') ? s.url : a));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, AWS_CONFIG_FILE: join(home, '.aws/config'), AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws/credentials') };
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    delete env.AWS_ENDPOINT_URL;
    delete env.AWS_PROFILE;
    const r = run('/usr/bin/aws', args, { env });
    assert.match(r.stdout, /own-data/);
    assert.match(run('/usr/bin/aws', ['--version'], { env }).stdout + run('/usr/bin/aws', ['--version'], { env }).stderr, /aws-cli\/2\./);
    // The external endpoint (HTTPS), the credentials JSON the facility guide uses, and the xarray snippet.
    const ext = dialog.locator('[data-config="external-s3cmd"]');
    await ext.locator('summary').click();
    assert.match(await ext.innerText(), new RegExp(`host_base = ${T}\\.s3-ext\\.localhost[\\s\\S]*use_https = True`));
    const json = dialog.locator('[data-config="internal-credentials-json"]');
    await json.locator('summary').click();
    const creds = JSON.parse(await json.locator('pre[data-file]').innerText()) as Record<string, string>;
    assert.deepEqual(Object.keys(creds).sort(), ['endpoint_url', 'secret', 'token']);
    const py = dialog.locator('[data-config="external-python"]');
    await py.locator('summary').click();
    assert.match(await py.innerText(), /xarray\.open_zarr\(s3fs\.S3Map\(/);
    await shot(page, 'key-created');
    await dialog.getByRole('button', { name: /close/ }).click();
  });

  test('the portal\'s own key is explained in the key list (portal and CLI)', async () => {
    const page = await signIn(await ctx(), s, 'own');
    await manage(page, s, T, 'objects/own-data', 'own'); // browsing makes the portal key
    await page.locator('tr[data-key="notes.txt"]').waitFor();
    await manage(page, s, T, 'keys', 'own');
    await page.getByTestId('portal-key-note').first().waitFor();
    assert.match(await page.getByTestId('portal-key-note').first().innerText(), /uploads, downloads and share links/);
    assert.match(cli(['key', 'list'], 'own').stdout, /made by the portal/);
    // No one can name a key like it.
    const r = await fetch(`${s.portalUrl}${API}/me/keys`, { method: 'POST', headers: { authorization: 'Basic ' + Buffer.from(`own:${pw('own')}`).toString('base64'), 'content-type': 'application/json' }, body: JSON.stringify({ tenancy: T, name: 'portal (browser uploads and share links)', expiresAt: new Date(Date.now() + DAY).toISOString() }) });
    assert.equal(r.status, 400);
  });

  test("a manager lists the members' keys and revokes one (it stops working)", async () => {
    const k = await keyOf('peer', T);
    const peer = s3of(k);
    await peer.send(new ListObjectsV2Command({ Bucket: 'own-data' }));
    const page = await signIn(await ctx(), s, 'mgr');
    await manage(page, s, T, 'keys', 'mgr');
    const row = page.locator(`tr[data-member-key="${k.accessKeyId}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /^peer/);
    await row.getByRole('button', { name: /Revoke key/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await row.waitFor({ state: 'detached' });
    await assert.rejects(peer.send(new ListObjectsV2Command({ Bucket: 'own-data' })), /InvalidAccessKeyId|Access ?Denied|ExpiredToken/);
    assert.match(cli(['key', 'list', '--tenancy', T], 'mgr').stdout, /OWNER/);
  });

  test('users change their own password in the portal', async () => {
    const page = await signIn(await ctx(), s, 'newbie');
    await page.getByRole('link', { name: 'My account' }).click();
    await page.waitForFunction(() => document.title === 'My account — Granary');
    await page.locator('#pw-current').fill('wrong-password-1');
    await page.locator('#pw-new').fill('newbie-second-pw');
    await page.locator('#pw-again').fill('newbie-second-pw');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'the current password is not right' }).waitFor();
    await page.locator('#pw-current').fill(pw('newbie'));
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    // Still signed in here; the old password no longer works, the new one does.
    assert.equal((await page.request.get(`${s.portalUrl}${API}/me`)).status(), 200);
    await assert.rejects(admin(s, 'GET', '/me', undefined, 'newbie', pw('newbie')), /401/);
    await admin(s, 'GET', '/me', undefined, 'newbie', 'newbie-second-pw');
    await admin(s, 'PUT', '/users/newbie/password', { password: pw('newbie') });
  });

  test('a listed tenancy is offered to join; managers see the request at home and by mail; a rejection needs confirming and its reason reaches the requester', async () => {
    const mgr = await signIn(await ctx(), s, 'mgr');
    await manage(mgr, s, T, 'members', 'mgr');
    await mgr.getByLabel(/List proj-t for people looking/).check();
    await mgr.getByText(`${T} is listed for people looking for a tenancy to join.`).waitFor();
    const nb = await signIn(await ctx(420, 800), s, 'newbie');
    await nb.getByRole('link', { name: 'Join a tenancy' }).click();
    const listed = nb.locator(`tr[data-listed="${T}"]`);
    await listed.waitFor();
    assert.equal(await nb.locator(`tr[data-listed="${OTHER}"]`).count(), 0, 'an unlisted tenancy is not offered');
    await listed.getByRole('button', { name: `Ask to join ${T}` }).click();
    await nb.getByLabel('Message to its managers').fill('I am the new postdoc');
    await nb.getByRole('button', { name: 'Request to join' }).click();
    await nb.getByText(/Request sent/).waitFor();
    await shot(nb, 'join');
    // The manager's home page says work is waiting; the mail says so too.
    await mgr.goto(`${s.portalUrl}/_admin/portal/#/`);
    await mgr.reload();
    const waiting = mgr.getByRole('article', { name: `Tenancy ${T}` }).getByTestId('pending-requests');
    await waiting.waitFor();
    assert.match(await waiting.innerText(), /1 join request waiting for you/);
    await shot(mgr, 'home-manager');
    const mails = await smtp.waitFor((m) => m.some((x) => x.to.includes('mgr@example.org') && /asks to join proj-t/.test(x.subject)));
    assert.match(mails.find((x) => /asks to join/.test(x.subject))!.body, /I am the new postdoc/);
    assert.equal(mails.filter((x) => /asks to join/.test(x.subject) && x.to.includes('own@example.org')).length, 0, 'only managers and deputies');
    // Reject: confirmed, with a reason.
    await manage(mgr, s, T, 'members', 'mgr');
    await mgr.getByRole('button', { name: 'Reject newbie' }).click();
    const dialog = mgr.getByRole('dialog', { name: /Reject newbie's request/ });
    await dialog.getByLabel(/Reason/).fill('Ask your supervisor to add you, please.');
    await shot(mgr, 'reject-request');
    await dialog.getByRole('button', { name: 'Reject' }).click();
    await mgr.getByText('The request of newbie was rejected.').waitFor();
    await nb.reload();
    const mine = nb.locator(`tr[data-my-request="${T}"]`);
    await mine.waitFor();
    assert.match(await mine.innerText(), /rejected[\s\S]*Ask your supervisor to add you, please\./);
  });

  test('a USER sees their tenancy\'s usage and endpoints from the CLI (tenancy show)', () => {
    const out = cli(['tenancy', 'show', T], 'peer').stdout;
    assert.match(out, /internal endpoint:\s+http:\/\/proj-t\.s3\.localhost/);
    assert.match(out, /external endpoint:\s+https:\/\/proj-t\.s3-ext\.localhost/);
    assert.match(out, /used:/);
  });

  test('what is using the space: by bucket, owner and top-level prefix, and an incomplete upload aborted in one click', async () => {
    const own = s3of(await keyOf('own', T));
    const up = await own.send(new CreateMultipartUploadCommand({ Bucket: 'own-data', Key: 'big/unfinished.bin' }));
    await own.send(new UploadPartCommand({ Bucket: 'own-data', Key: 'big/unfinished.bin', UploadId: up.UploadId!, PartNumber: 1, Body: Buffer.alloc(5 * 1024 * 1024, 1) }));
    const page = await signIn(await ctx(), s, 'mgr');
    await manage(page, s, T, 'usage', 'mgr');
    await page.locator('tr[data-owner="own"]').waitFor();
    await page.locator('tr[data-prefix-usage="own-data/raw/"]').waitFor();
    assert.match(await page.getByRole('table', { name: 'Usage by bucket' }).innerText(), /own-data/);
    const row = page.locator('tr[data-upload="own-data/big/unfinished.bin"]');
    await row.waitFor();
    assert.match(await row.innerText(), /5\.00 MiB/);
    await shot(page, 'usage');
    await row.getByRole('button', { name: /Abort the upload/ }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByText(/The upload of big\/unfinished\.bin was aborted/).waitFor();
    assert.equal((await own.send(new ListMultipartUploadsCommand({ Bucket: 'own-data' }))).Uploads?.length ?? 0, 0);
    const c = cli(['tenancy', 'usage', T], 'mgr').stdout;
    assert.match(c, /by owner:[\s\S]*own/);
    assert.match(c, /by top-level prefix:[\s\S]*raw\//);
    await own.send(new AbortMultipartUploadCommand({ Bucket: 'own-data', Key: 'x', UploadId: 'none' })).catch(() => undefined);
  });

  test('errors in plain words: a refused upload shows S3\'s message; the status line says what happened; old errors go', async () => {
    await admin(s, 'POST', '/tenancies', { name: 'tiny-t' });
    await admin(s, 'POST', '/tenancies/tiny-t/members', { username: 'peer', role: 'MANAGER' });
    await admin(s, 'PUT', '/tenancies/tiny-t/quota', { bytes: 10 });
    const k = s3of(await keyOf('peer', 'tiny-t'));
    await k.send(new CreateBucketCommand({ Bucket: 'small' }));
    const page = await signIn(await ctx(), s, 'peer');
    await manage(page, s, 'tiny-t', 'objects/small', 'peer');
    const file = join(work, 'twelve.txt');
    writeFileSync(file, 'twelve bytes');
    await page.locator('#obj-file').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: /quota of tiny-t .* would be exceeded/ });
    await alert.waitFor();
    assert.match(await alert.innerText(), /QuotaExceeded/);
    await shot(page, 'plain-error');
    await admin(s, 'PUT', '/tenancies/tiny-t/quota', { bytes: null });
    await page.locator('#obj-file').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Uploaded 1 file to small/.' }).waitFor();
    assert.equal(await page.getByRole('alert').count(), 0, 'the old error is gone');
    assert.equal(await page.getByText('Upload finished or idle.').count(), 0);
  });

  test('warning and critical quota levels reach the members by mail, once each', async () => {
    await admin(s, 'PUT', `/tenancies/${OTHER}/quota`, { bytes: 1000 });
    const k = s3of(await keyOf('out', OTHER));
    await k.send(new CreateBucketCommand({ Bucket: 'fill' }));
    await k.send(new PutObjectCommand({ Bucket: 'fill', Key: 'a', Body: Buffer.alloc(850) }));
    await smtp.waitFor((m) => m.some((x) => x.to.includes('out@example.org') && /other-t is 85\.0% full \(warning\)/.test(x.subject)));
    await k.send(new PutObjectCommand({ Bucket: 'fill', Key: 'b', Body: Buffer.alloc(110) }));
    await smtp.waitFor((m) => m.some((x) => /other-t is 96\.0% full \(critical\)/.test(x.subject)));
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(smtp.messages().filter((x) => /other-t is .* full/.test(x.subject)).length, 2);
  });

  test('a public bucket\'s landing page: index, README, citation, snippets, safe headers; S3 answers unchanged', async () => {
    const own = s3of(await keyOf('own', T));
    await own.send(new PutObjectCommand({ Bucket: 'own-data', Key: 'README.md', Body: '# Ocean runs\n\nDaily **means**. <script>alert(1)</script>\n\n[site](https://example.org)\n' }));
    const page = await signIn(await ctx(), s, 'own');
    await manage(page, s, T, 'buckets', 'own');
    await page.getByRole('button', { name: 'Sharing of own-data' }).click();
    await page.locator('[data-loaded="true"]').waitFor();
    await page.getByRole('button', { name: 'Make public…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Make public' }).click();
    await page.getByText('Landing page', { exact: true }).click();
    await page.getByLabel('Show the landing page').check();
    await page.locator('#landing-title').fill('Ocean model runs');
    await page.locator('#landing-citation').fill('Doe, J. (2030). Ocean runs. doi:10.0000/x');
    await page.getByRole('button', { name: 'Save landing page' }).click();
    await page.getByText('Landing page saved.').waitFor();
    const url = `${s.url}/${T}:own-data`;
    const html = await fetch(url, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.match(html.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.match(html.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.equal(html.headers.get('vary'), 'Accept');
    const body = await html.text();
    assert.match(body, /<title>Ocean model runs<\/title>/);
    assert.match(body, /<strong>means<\/strong>/);
    assert.doesNotMatch(body, /<script/i, 'no script from the README');
    assert.match(body, /Doe, J\. \(2030\)/);
    assert.match(body, /xarray\.open_zarr/);
    assert.match(body, /curl -O/);
    assert.match(body, /rclone copy/);
    // S3 clients get S3: curl's Accept, the SDK, a signed request.
    const xml = await fetch(url, { headers: { accept: '*/*' } });
    assert.match(await xml.text(), /<ListBucketResult/);
    assert.ok(((await own.send(new ListObjectsV2Command({ Bucket: 'own-data' }))).Contents ?? []).length > 0);
    // In the browser: the page, its table, its folders.
    const anon = await (await ctx()).newPage();
    await anon.goto(url);
    await anon.getByRole('heading', { name: 'Ocean model runs' }).waitFor();
    await anon.getByRole('table', { name: 'Contents of own-data' }).waitFor();
    await shot(anon, 'landing-page');
    await anon.getByRole('link', { name: 'raw/' }).click();
    await anon.getByRole('link', { name: 'a.nc' }).waitFor();
    cli(['policy', 'public', T, 'own-data', 'off'], 'own');
  });

  test('an expiring share link for a whole prefix', async () => {
    const page = await signIn(await ctx(), s, 'own');
    await manage(page, s, T, 'objects/own-data', 'own');
    await page.getByRole('button', { name: /raw\// }).click();
    await page.locator('tr[data-key="raw/a.nc"]').waitFor();
    await page.locator('#share-exp').selectOption('3600');
    await page.getByRole('button', { name: 'Share this folder' }).click();
    const link = await page.locator('#share-url').inputValue();
    assert.match(link, /x-granary-share=1/);
    const stranger = await (await ctx()).newPage();
    await stranger.goto(link);
    await stranger.getByText(/work until \d{4}-\d{2}-\d{2}/).waitFor();
    const names = await stranger.locator('tbody td:first-child').allInnerTexts();
    assert.ok(names.includes('a.nc') && names.includes('deep/'), names.join());
    assert.ok(!names.includes('notes.txt'), 'nothing outside the prefix');
    const href = await stranger.getByRole('link', { name: 'a.nc' }).getAttribute('href');
    const got = await fetch(new URL(href!, link));
    assert.equal(await got.text(), 'alpha');
    // The signed listing cannot be widened to another prefix.
    assert.equal((await fetch(link.replace('prefix=raw%2F', 'prefix='))).status, 403);
  });

  test('accessibility: titles per view, ISO dates, captioned tables with headers, empty states, unbroken URLs, words beside colours, keyboard tabs', async () => {
    const page = await signIn(await ctx(390, 800), s, 'mgr'); // a phone-sized window
    await page.waitForFunction(() => document.title === 'My tenancies — Granary');
    // Endpoint URLs: no overflow, no line break right after a hyphen.
    const urls = page.locator('code.url');
    assert.ok((await urls.count()) >= 2);
    for (const u of await urls.all()) {
      const m = await u.evaluate((el) => {
        const text = el.textContent ?? '';
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        const tops: Array<{ ch: string; top: number }> = [];
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          for (let i = 0; i < (n.textContent ?? '').length; i++) {
            const r = document.createRange();
            r.setStart(n, i);
            r.setEnd(n, i + 1);
            tops.push({ ch: n.textContent![i]!, top: Math.round(r.getBoundingClientRect().top) });
          }
        }
        const breaksAfterHyphen = tops.some((t, i) => t.ch === '-' && i + 1 < tops.length && tops[i + 1]!.top > t.top);
        const card = el.closest('article')!;
        return { text, breaksAfterHyphen, overflow: el.getBoundingClientRect().right > card.getBoundingClientRect().right + 1 };
      });
      assert.equal(m.breaksAfterHyphen, false, `${m.text} breaks after a hyphen`);
      assert.equal(m.overflow, false, `${m.text} overflows its card`);
    }
    await shot(page, 'home-narrow');
    // Status in words: the quota level is written out beside the bar.
    await admin(s, 'PUT', `/tenancies/${T}/quota`, { bytes: '1GiB' });
    await page.reload();
    assert.match(await page.getByRole('article', { name: `Tenancy ${T}` }).getByTestId('usage-text').innerText(), /^✓ OK: .* of 1\.00 GiB/);
    // Tabs, by keyboard as WAI-ARIA describes.
    await manage(page, s, T, 'keys', 'mgr');
    await page.waitForFunction((t) => document.title === `Keys — ${t} — Granary`, T);
    const tab = (name: string) => page.getByRole('tab', { name });
    await tab('Keys').focus();
    assert.equal(await tab('Keys').getAttribute('tabindex'), '0');
    assert.equal(await tab('Buckets').getAttribute('tabindex'), '-1');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => location.hash.endsWith('/buckets'));
    assert.equal(await tab('Buckets').getAttribute('aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Buckets');
    await page.keyboard.press('End');
    await page.waitForFunction(() => location.hash.endsWith('/usage'));
    await page.keyboard.press('ArrowRight'); // wraps to the first
    await page.waitForFunction(() => location.hash.endsWith('/keys'));
    await page.keyboard.press('Home');
    assert.equal(await page.getByRole('tabpanel').getAttribute('aria-labelledby'), 'tenancy-tab-keys');
    // Tables: a caption and column headers on every one; empty states in words; ISO dates.
    await manage(page, s, T, 'members', 'mgr');
    await page.waitForFunction((t) => document.title === `Members — ${t} — Granary`, T);
    await page.getByRole('table', { name: `People asking to join ${T}` }).waitFor();
    const tables = await page.locator('table').evaluateAll((ts) => ts.map((t) => ({ caption: t.querySelector('caption')?.textContent ?? '', headers: t.querySelectorAll('thead th[scope="col"]').length })));
    assert.ok(tables.length >= 3);
    for (const t of tables) assert.ok(t.caption && t.headers > 0, JSON.stringify(t));
    await page.getByText('No one is waiting.').waitFor();
    const since = await page.locator('tr[data-member="mgr"] td').nth(3).innerText();
    assert.match(since, /^\d{4}-\d{2}-\d{2}$/);
    await manage(page, s, T, 'usage', 'mgr');
    await page.waitForFunction((t) => document.title === `Usage — ${t} — Granary`, T);
    await page.getByRole('table', { name: 'Usage by bucket' }).waitFor();
    await page.getByText('Show the usage history as a table').click();
    const time = await page.getByRole('table', { name: /Usage samples of/ }).locator('tbody td').first().innerText();
    assert.match(time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    for (const [hash, title] of [['#/join', 'Join a tenancy'], ['#/shared', 'Shared with me'], ['#/account', 'My account']] as const) {
      await page.goto(`${s.portalUrl}/_admin/portal/${hash}`);
      await page.waitForFunction((t) => document.title === `${t} — Granary`, title);
    }
  });
});

