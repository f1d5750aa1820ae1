/**
 * Attacks on the portal through a real browser (Debian's Chromium), issue 15:
 * - stored XSS → site-administrator takeover (item 1): a tenancy member uploads an HTML page whose script
 *   reads the CSRF token from /_admin/api/v1/session and creates a site administrator, and sends its
 *   portal share link to a signed-in site administrator, who opens it — the default link, the link made
 *   "open in browser", and the same page at the portal's origin's neighbour (the S3 endpoint);
 * - CSRF through cached HTTP Basic credentials (item 9): a page elsewhere submits a text/plain form that
 *   is valid JSON to the admin API of a browser holding the site administrator's Basic credentials;
 * - keys with control characters in the portal's object list (item 12).
 * Each attack succeeded on the layout where objects and the portal shared one origin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.js';
import { ADMIN_PASSWORD, ADMIN_USER } from '../helpers/admin.js';
import { API, adminCall, ensurePortalBuilt, keyFor, launchChromium, manage, pw, signIn, skipWithoutChromium as skip } from '../helpers/portal.js';

const T = 'xss-e2e';
const BUCKET = 'reports';

/** The attacker's page: tries the portal's API at its own origin and at the portal's, then says so. */
function attackPage(portalUrl: string, newAdmin: string): string {
  return `<!doctype html><html><head><title>Quarterly report</title></head><body><p>Quarterly report</p>
<script>
window.__attackStarted = true;
(async () => {
  const tried = [];
  for (const base of [location.origin, ${JSON.stringify(portalUrl)}]) {
    try {
      const s = await (await fetch(base + '/_admin/api/v1/session', { credentials: 'include' })).json();
      const r = await fetch(base + '/_admin/api/v1/users', {
        method: 'POST', credentials: 'include',
        headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrfToken || '' },
        body: JSON.stringify({ username: ${JSON.stringify(newAdmin)}, password: 'evil-password-1234', siteAdmin: true }),
      });
      tried.push(base + ' ' + r.status);
    } catch (e) { tried.push(base + ' ' + e); }
  }
  document.title = 'attack-done: ' + tried.join(', ');
})();
</script></body></html>`;
}

/**
 * Opens `url` as the victim would (a link in a message). A download is no page: nothing runs. A page is
 * given until its script (if it ran at all) has finished.
 */
async function open(page: Page, url: string): Promise<{ kind: 'download'; filename: string } | { kind: 'page'; scriptRan: boolean; title: string }> {
  const download = page.waitForEvent('download', { timeout: 15_000 }).catch(() => undefined);
  const navigated = await page.goto(url).then(
    () => true,
    (e: unknown) => {
      if (/Download is starting|ERR_ABORTED/.test(String(e))) return false;
      throw e;
    },
  );
  if (!navigated) {
    const d = await download;
    assert.ok(d, 'the link neither showed a page nor downloaded');
    return { kind: 'download', filename: d.suggestedFilename() };
  }
  await page.waitForFunction(() => document.title.startsWith('attack-done') || !(window as unknown as { __attackStarted?: boolean }).__attackStarted);
  return { kind: 'page', scriptRan: await page.evaluate(() => Boolean((window as unknown as { __attackStarted?: boolean }).__attackStarted)), title: await page.title() };
}

async function usernames(s: TestServer): Promise<string[]> {
  return ((await adminCall(s, 'GET', '/users')) as { items: Array<{ username: string }> }).items.map((u) => u.username);
}

describe('attacks on the portal (Chromium)', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  let adminCtx: BrowserContext;
  let adminPage: Page;
  let mallory: Page;

  before(async () => {
    ensurePortalBuilt();
    s = await startServer();
    await adminCall(s, 'POST', '/users', { username: 'mallory', password: pw('mallory') });
    await adminCall(s, 'POST', '/tenancies', { name: T });
    await adminCall(s, 'POST', `/tenancies/${T}/members`, { username: 'mallory', role: 'USER' });
    const c = await keyFor(s, 'mallory', T);
    await c.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'q3-report.html', Body: attackPage(s.portalUrl, 'evil-admin'), ContentType: 'text/html' }));
    browser = await launchChromium();
    mallory = await signIn(await browser.newContext({ acceptDownloads: true }), s, 'mallory');
    adminCtx = await browser.newContext({ acceptDownloads: true });
    adminPage = await signIn(adminCtx, s, ADMIN_USER, ADMIN_PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await s?.stop();
    s?.cleanup();
  });

  test('stored XSS: a member\'s HTML share link opened by a signed-in site administrator creates no administrator', async () => {
    await manage(mallory, s, T, `objects/${BUCKET}`, 'mallory');
    const row = mallory.locator('tr[data-key="q3-report.html"]');
    await row.waitFor();
    let previous = '';
    const share = async (): Promise<string> => {
      await row.getByRole('button', { name: 'Share q3-report.html' }).click();
      await mallory.waitForFunction((old) => {
        const v = (document.getElementById('share-url') as HTMLInputElement | null)?.value;
        return v !== undefined && v !== '' && v !== old;
      }, previous);
      previous = await mallory.locator('#share-url').inputValue();
      return previous;
    };

    // The share link as the portal makes it by default: a download, on the S3 origin.
    const link = await share();
    const first = await open(adminPage, link);
    assert.ok(!(await usernames(s)).includes('evil-admin'), `a site administrator was created by opening the share link (${JSON.stringify(first)})`);
    assert.equal(new URL(link).origin, s.url, 'share links point at the S3 endpoint');
    assert.notEqual(new URL(link).origin, s.portalUrl);
    assert.equal(first.kind, 'download', 'a share link downloads unless the user chose otherwise');
    assert.match(new URL(link).searchParams.get('response-content-disposition') ?? '', /^attachment/);

    // The member chose "open in browser": the page shows, sandboxed — its script never runs.
    await mallory.getByLabel(/open files in the browser instead of downloading/).check();
    const inline = await share();
    assert.equal(new URL(inline).searchParams.get('response-content-disposition'), null);
    const second = await open(adminPage, inline);
    assert.ok(!(await usernames(s)).includes('evil-admin'), `a site administrator was created by the inline share link (${JSON.stringify(second)})`);
    assert.deepEqual(second, { kind: 'page', scriptRan: false, title: 'Quarterly report' });

    // The administrator is still signed in to the portal: the attack failed, it did not just sign them out.
    const me = await adminPage.request.get(`${s.portalUrl}${API}/session`);
    assert.equal(((await me.json()) as { signedIn: boolean }).signedIn, true);
  });

  test('CSRF with cached Basic credentials: a cross-site text/plain form cannot create an administrator', async () => {
    // The administrator's browser holds Basic credentials for the admin API (answering any challenge).
    const ctx = await browser.newContext({ httpCredentials: { username: ADMIN_USER, password: ADMIN_PASSWORD } });
    try {
      const page = await ctx.newPage();
      const me = await page.goto(`${s.portalUrl}${API}/me`);
      assert.equal(me?.headers()['www-authenticate'], undefined, 'no Basic challenge for a browser: it never caches the password');
      // The attacker's site: a form whose text/plain body is valid JSON.
      const target = `${s.portalUrl}${API}/users`;
      const evil: Server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><form method="POST" enctype="text/plain" action="${target}">
<input name='{"username":"csrf-admin","password":"csrf-password-1234","siteAdmin":true,"x":"' value='"}'></form>
<script>document.forms[0].submit()</script>`);
      });
      await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
      try {
        const port = (evil.address() as { port: number }).port;
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.url() === target && r.request().method() === 'POST'),
          page.goto(`http://127.0.0.1:${port}/`),
        ]);
        assert.ok(!(await usernames(s)).includes('csrf-admin'), `the cross-site form created an administrator (HTTP ${response.status()})`);
        assert.ok([403, 415].includes(response.status()), `HTTP ${response.status()}`);
      } finally {
        await new Promise<void>((r) => evil.close(() => r()));
      }
    } finally {
      await ctx.close();
    }
  });

  test('the object list shows every key, also after keys with control characters', async () => {
    const c = await keyFor(s, 'mallory', T);
    const keys = ['ctl/a.txt', 'ctl/b\u0001bell\u0007.txt', 'ctl/c\u001f.txt', 'ctl/d sp+ace%.txt', 'ctl/z.txt'];
    for (const k of keys) await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: k }));
    await manage(mallory, s, T, `objects/${BUCKET}`, 'mallory');
    await mallory.getByRole('button', { name: 'ctl/' }).click();
    await mallory.locator('tr[data-key="ctl/z.txt"]').waitFor({ timeout: 10_000 });
    const listed = await mallory.locator('tr[data-key]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
    assert.deepEqual(listed, keys);
  });
});
