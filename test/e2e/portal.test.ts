/**
 * The portal end to end: Debian's Chromium (headless, through playwright-core with executablePath — never
 * a downloaded browser) against the real server, through the flows of issue 6: sign in; create a key and
 * use the secret shown once with boto3; share a bucket with a group (a member reads, a non-member cannot)
 * and ask the policy check why; make a bucket public and read it anonymously; upload 50 MiB through the
 * browser (presigned multipart) and download it intact; request to join, approve as manager, see the new
 * member; fill a tenancy to its quota and see the usage bar turn red. A screenshot per flow goes to
 * test-output/e2e/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT, startServer, type TestServer } from '../helpers/server.js';
import { ADMIN_PASSWORD, ADMIN_USER } from '../helpers/admin.js';
import { API, adminCall as admin, ensurePortalBuilt, keyFor, launchChromium, manage, pw, signIn, skipWithoutChromium as skip } from '../helpers/portal.js';

const OUT = join(REPO_ROOT, 'test-output', 'e2e');
const T = 'proj-e2e';
const FULL_T = 'tiny-e2e';

const shot = (page: Page, name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });

describe('portal end to end (Chromium)', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  let mia: BrowserContext; // MANAGER of proj-e2e and tiny-e2e
  let page: Page;
  const work = mkdtempSync(join(tmpdir(), 'granary-e2e-'));

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    ensurePortalBuilt();
    s = await startServer();
    for (const u of ['mia', 'uma', 'nick', 'jo']) await admin(s, 'POST', '/users', { username: u, password: pw(u), displayName: u.toUpperCase() });
    for (const t of [T, FULL_T]) {
      await admin(s, 'POST', '/tenancies', { name: t });
      await admin(s, 'POST', `/tenancies/${t}/members`, { username: 'mia', role: 'MANAGER' });
    }
    await admin(s, 'POST', `/tenancies/${T}/members`, { username: 'uma', role: 'USER' });
    await admin(s, 'POST', `/tenancies/${T}/members`, { username: 'nick', role: 'USER' });
    await admin(s, 'POST', '/groups', { name: 'climate' });
    await admin(s, 'POST', '/groups/climate/members', { username: 'uma' });
    await admin(s, 'PUT', `/tenancies/${FULL_T}/quota`, { bytes: 1024 * 1024, action: 'read-delete' });
    browser = await launchChromium();
    mia = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
    page = await signIn(mia, s, 'mia');
  });

  after(async () => {
    await browser?.close();
    await s?.stop();
    s?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  test('sign in shows my tenancies with role, endpoints and usage', async () => {
    const card = page.getByRole('article', { name: `Tenancy ${T}` });
    await card.waitFor();
    assert.match(await card.innerText(), /MANAGER/);
    assert.match(await card.innerText(), new RegExp(`${T}\\.s3\\.localhost`));
    await shot(page, '01-signed-in');
  });

  test('create a key in the browser and use the shown secret with boto3', async () => {
    await manage(page, s, T, 'keys', 'mia');
    await page.locator('#key-name').fill('laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const id = (await page.getByTestId('new-key-id').innerText()).trim();
    const secret = (await page.getByTestId('new-key-secret').innerText()).trim();
    assert.match(id, /^[A-Z0-9]{16,}$/);
    assert.ok(secret.length >= 30);
    assert.match(await dialog.innerText(), /s3cmd/);
    await shot(page, '02-key-created');
    await dialog.getByRole('button', { name: /close/ }).click();
    const script = [
      'import boto3, os, sys',
      's3 = boto3.client("s3", endpoint_url=os.environ["EP"], aws_access_key_id=os.environ["KID"], aws_secret_access_key=os.environ["SEC"], region_name="us-east-1", config=boto3.session.Config(s3={"addressing_style": "path"}))',
      's3.create_bucket(Bucket="shared-data")',
      's3.put_object(Bucket="shared-data", Key="hello.txt", Body=b"hello from boto3")',
      'print(s3.get_object(Bucket="shared-data", Key="hello.txt")["Body"].read().decode())',
    ].join('\n');
    const r = spawnSync('python3', ['-c', script], { env: { ...process.env, EP: s.url, KID: id, SEC: secret }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'hello from boto3');
    // The secret is never shown again.
    await page.reload();
    await page.getByRole('table', { name: /My access keys/ }).getByRole('cell', { name: 'laptop', exact: true }).waitFor();
    assert.ok(!(await page.content()).includes(secret));
    assert.ok(!s.output().includes(secret), 'the secret reached the server log');
    assert.ok(!(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)).includes(secret), 'secret in browser storage');
  });

  test('share a bucket with a group: a member of it reads, a non-member cannot; the policy check explains', async () => {
    const uma = await keyFor(s, 'uma', T);
    const nick = await keyFor(s, 'nick', T);
    await assert.rejects(uma.send(new GetObjectCommand({ Bucket: 'shared-data', Key: 'hello.txt' })), /Access ?Denied/);
    await manage(page, s, T, 'buckets', 'mia');
    await page.getByRole('button', { name: 'Sharing of shared-data' }).click();
    await page.locator('[data-loaded="true"]').waitFor();
    await page.locator('#grant-kind').selectOption('group');
    await page.locator('#grant-who').fill('climate');
    await page.locator('#grant-level').selectOption('read');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    await page.getByText('Group climate may now use shared-data.').waitFor();
    await page.locator('tr[data-grant="group:climate"]').waitFor();
    await page.getByText('Policy as JSON (for experts)').click();
    assert.match(await page.locator('#policy-json').inputValue(), /arn:aws:iam:::group\/climate/);
    const got = await uma.send(new GetObjectCommand({ Bucket: 'shared-data', Key: 'hello.txt' }));
    assert.equal(await got.Body!.transformToString(), 'hello from boto3');
    await assert.rejects(nick.send(new GetObjectCommand({ Bucket: 'shared-data', Key: 'hello.txt' })), /Access ?Denied/);
    await assert.rejects(uma.send(new PutObjectCommand({ Bucket: 'shared-data', Key: 'x.txt', Body: 'no' })), /Access ?Denied/);
    // Policy check: uma allowed by the group statement, nick denied.
    await page.locator('#check-user').fill('uma');
    await page.locator('#check-action').selectOption('s3:GetObject');
    await page.locator('#check-key').fill('hello.txt');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText(/Allowed — bucket policy/).waitFor();
    assert.match(await page.getByTestId('check-result').innerText(), /climate/);
    await shot(page, '03-shared-with-group');
    await page.locator('#check-user').fill('nick');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByTestId("check-result").filter({ hasText: /✕ Denied/ }).waitFor();
    // An invalid policy written as JSON is refused with the server's reason (no policy rules in the browser).
    await page.locator('#policy-json').fill('{"Statement": [ {"Effect": "Maybe"} ]}');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('alert').filter({ hasText: /Effect/ }).waitFor();
  });

  test('make a bucket public and read it anonymously', async () => {
    const anon = `${s.url}/${T}:shared-data/hello.txt`;
    assert.equal((await fetch(anon)).status, 403);
    await manage(page, s, T, 'buckets', 'mia');
    await page.getByRole('button', { name: 'Sharing of shared-data' }).click();
    await page.locator('[data-loaded="true"]').waitFor();
    await page.getByRole('button', { name: 'Make public…' }).click();
    // Asked first, in words.
    const dialog = page.getByRole('dialog', { name: 'Make shared-data public?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Anyone on the internet/);
    await dialog.getByRole('button', { name: 'Make public' }).click();
    await page.locator('[data-access="public"]').waitFor({ timeout: 10_000 }).catch(async (e: unknown) => {
      await shot(page, '04-public-bucket-FAILED');
      throw e;
    });
    const r = await fetch(anon);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'hello from boto3');
    await shot(page, '04-public-bucket');
    await page.getByRole('button', { name: 'Make private' }).click();
    await page.locator('[data-access="public"]').waitFor({ state: 'detached' });
    assert.equal((await fetch(anon)).status, 403);
  });

  test('upload 50 MiB through the browser (multipart) and download it intact', async () => {
    const file = join(work, 'big-50MiB.bin');
    const data = randomBytes(50 * 1024 * 1024);
    writeFileSync(file, data);
    const want = createHash('sha256').update(data).digest('hex');
    await manage(page, s, T, 'objects/shared-data', 'mia');
    await page.locator('#obj-file').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('progressbar', { name: 'Upload progress' }).waitFor({ timeout: 10_000 }).catch(() => undefined);
    const row = page.locator('tr[data-key="big-50MiB.bin"]');
    await row.waitFor({ timeout: 120_000 });
    assert.match(await row.innerText(), /50\.0 MiB/);
    await shot(page, '05-uploaded-50MiB');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByRole('button', { name: 'Download big-50MiB.bin' }).click()]);
    const saved = join(work, 'downloaded.bin');
    await download.saveAs(saved);
    assert.equal(createHash('sha256').update(readFileSync(saved)).digest('hex'), want);
    // A share link (presigned GET) works without any credentials.
    await row.getByRole('button', { name: 'Share big-50MiB.bin' }).click();
    const link = await page.locator('#share-url').inputValue();
    assert.match(link, /X-Amz-Signature=/);
    assert.doesNotMatch(link, /secret/i);
    const head = await fetch(link, { headers: { range: 'bytes=0-15' } });
    assert.equal(head.status, 206);
    assert.deepEqual(Buffer.from(await head.arrayBuffer()), data.subarray(0, 16));
  });

  test('request to join, approve as manager, see the new member', async () => {
    const joCtx = await browser.newContext({ viewport: { width: 420, height: 800 } }); // a narrow window
    const jo = await signIn(joCtx, s, 'jo');
    await jo.getByRole('link', { name: 'Join a tenancy' }).click();
    await jo.getByLabel('Tenancy name').fill('proj');
    await jo.locator('#join-hint').filter({ hasText: T }).waitFor(); // found by searching part of its name
    await jo.getByLabel('Tenancy name').fill(T);
    await jo.getByLabel('Message to its managers').fill('I work on the e2e project');
    await jo.getByRole('button', { name: 'Request to join' }).click();
    await jo.getByText(/Request sent/).waitFor();
    await jo.getByRole('cell', { name: 'pending' }).waitFor();
    await shot(jo, '06a-join-requested');
    await manage(page, s, T, 'members', 'mia');
    await page.getByRole('button', { name: 'Approve jo' }).click();
    await page.locator('tr[data-member="jo"]').waitFor();
    await shot(page, '06b-join-approved');
    await jo.reload();
    await jo.getByRole('cell', { name: /approved/ }).waitFor();
    await jo.goto(`${s.portalUrl}/_admin/portal/#/`);
    await jo.getByRole('article', { name: `Tenancy ${T}` }).waitFor();
    await joCtx.close();
  });

  test('fill a tenancy to its quota and see the usage bar turn red', async () => {
    const c = await keyFor(s, 'mia', FULL_T);
    const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
    await c.send(new CreateBucketCommand({ Bucket: 'filler' }));
    await c.send(new PutObjectCommand({ Bucket: 'filler', Key: 'a', Body: Buffer.alloc(700 * 1024) }));
    await page.goto(`${s.portalUrl}/_admin/portal/#/`);
    await page.reload();
    const meter = page.getByRole('article', { name: `Tenancy ${FULL_T}` }).getByRole('meter');
    await meter.waitFor();
    assert.equal(await meter.getAttribute('data-level'), 'ok');
    await c.send(new PutObjectCommand({ Bucket: 'filler', Key: 'b', Body: Buffer.alloc(1024 * 1024 - 700 * 1024) }));
    await assert.rejects(c.send(new PutObjectCommand({ Bucket: 'filler', Key: 'c', Body: 'x' })), /QuotaExceeded|quota/i);
    await page.reload();
    await meter.waitFor();
    assert.equal(await meter.getAttribute('data-level'), 'full');
    const colour = await meter.locator('div').evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(colour, 'rgb(198, 40, 40)');
    await shot(page, '07-quota-full');

    // Usage over time: the sampler recorded the tenancy at start; the chart adds the usage now and the quota.
    await manage(page, s, FULL_T, 'usage', 'mia');
    const chart = page.getByRole('img', { name: /Bytes stored over time/ });
    await chart.waitFor();
    assert.ok(Number(await chart.getAttribute('data-points')) >= 1, 'the chart has points');
    assert.ok((await chart.locator('circle.point').count()) >= 1, 'at least one point is drawn');
    const quotaLine = chart.locator('[data-testid="usage-bytes-quota-line"] line');
    assert.equal(await quotaLine.count(), 1, 'the quota is drawn as a line');
    // Full: the newest point sits on the quota line (same height).
    const lastY = Number(await chart.locator('circle.point').last().getAttribute('cy'));
    assert.ok(Math.abs(lastY - Number(await quotaLine.getAttribute('y1'))) < 0.5, 'the newest point is at the quota');
    await page.getByText('Show the usage history as a table').click();
    await page.getByRole('table', { name: /Usage samples of/ }).waitFor();
    await shot(page, '07b-usage-chart');
  });

  test('site administration: create a user, a group, a tenancy with a quota and a manager', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const a = await signIn(ctx, s, ADMIN_USER, ADMIN_PASSWORD);
    await a.getByRole('link', { name: 'Site administration' }).click();
    const done = (text: string) => a.getByRole('status').filter({ hasText: text }).waitFor();
    await a.locator('#u-name').fill('zed');
    await a.locator('#u-password').fill(pw('zed'));
    await a.getByRole('button', { name: 'Create user' }).click();
    await done('User created.');
    await a.locator('#t-name').fill('made-in-ui');
    await a.getByRole('button', { name: 'Create', exact: true }).click();
    await done('Tenancy created.');
    await a.locator('#q-tenancy').selectOption('made-in-ui');
    await a.locator('#q-bytes').fill('5GiB');
    await a.locator('#q-action').selectOption('read-only');
    await a.getByRole('button', { name: 'Set quota' }).click();
    await done('Quota set.');
    await a.locator('#m-tenancy').selectOption('made-in-ui');
    await a.locator('#m-user').fill('zed');
    await a.getByRole('button', { name: 'Make manager' }).click();
    await done('Manager added.');
    await a.locator('#g-name').fill('zgroup');
    await a.getByRole('button', { name: 'Create group' }).click();
    await done('Group created.');
    await a.locator('#gm-group').selectOption('zgroup');
    await a.locator('#gm-user').fill('zed');
    await a.getByRole('button', { name: 'Add to group' }).click();
    await done('Added to group.');
    await shot(a, '08-site-admin');
    const q = (await admin(s, 'GET', '/tenancies/made-in-ui/quota')) as { quota: { bytes: number; action: string } };
    assert.deepEqual([q.quota.bytes, q.quota.action], [5 * 1024 ** 3, 'read-only']);
    const members = (await admin(s, 'GET', '/tenancies/made-in-ui/members')) as { items: Array<{ username: string; role: string }> };
    assert.deepEqual(members.items.map((m) => [m.username, m.role]), [['zed', 'MANAGER']]);
    const g = (await admin(s, 'GET', '/groups/zgroup/members')) as { items: Array<{ username: string }> };
    assert.deepEqual(g.items.map((u) => u.username), ['zed']);
    await ctx.close();
  });

  test('sign out ends the session', async () => {
    await page.goto(`${s.portalUrl}/_admin/portal/#/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const r = await page.request.get(`${s.portalUrl}${API}/me`);
    assert.equal(r.status(), 401);
  });
});
