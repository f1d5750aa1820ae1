/**
 * Driving the portal in Debian's Chromium (playwright-core with executablePath, never a downloaded
 * browser) for the browser tests in test/e2e/: launch, sign in, open a tenancy's tab (re-entering the
 * password when the portal asks), and the admin API calls the tests set up state with.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { S3Client } from '@aws-sdk/client-s3';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, ADMIN_USER } from './admin.js';
import { REPO_ROOT, type TestServer } from './server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const API = '/_admin/api/v1';
/** A skip reason when Chromium is missing (scripts/install-test-deps.sh installs it). */
export const skipWithoutChromium = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (scripts/install-test-deps.sh installs it)`;
export const pw = (u: string): string => `${u}-password-123`;

/** Builds the portal into dist/web if it is not built yet (the server serves it from there). */
export function ensurePortalBuilt(): void {
  if (existsSync(join(REPO_ROOT, 'dist/web/index.html'))) return;
  const b = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: REPO_ROOT, stdio: 'inherit' });
  assert.equal(b.status, 0, 'building the portal failed');
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** An admin API call with HTTP Basic (on the portal origin); throws unless 2xx. */
export async function adminCall(s: TestServer, method: string, path: string, body?: unknown, user = ADMIN_USER, password = ADMIN_PASSWORD): Promise<unknown> {
  const r = await fetch(`${s.portalUrl}${API}${path}`, {
    method,
    headers: { authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64'), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path} → ${r.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** An S3 client with a new key of `user` (password `pw(user)`) for `tenancy`. */
export async function keyFor(s: TestServer, user: string, tenancy: string): Promise<S3Client> {
  const k = (await adminCall(s, 'POST', '/me/keys', { tenancy, name: 'e2e-helper', expiresAt: new Date(Date.now() + 86_400_000).toISOString() }, user, pw(user))) as { accessKeyId: string; secretAccessKey: string };
  return new S3Client({ endpoint: s.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey } });
}

export async function signIn(ctx: BrowserContext, s: TestServer, user: string, password = pw(user)): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(`${s.portalUrl}/_admin/portal/`);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'My tenancies' }).waitFor();
  return page;
}

/** Opens a tenancy's tab (`keys`, `objects/BUCKET`, …), re-entering the password if the portal asks. */
export async function manage(page: Page, s: TestServer, tenancy: string, tab: string, user: string, password = pw(user)): Promise<void> {
  await page.goto(`${s.portalUrl}/_admin/portal/#/t/${tenancy}/${tab}`);
  await page.reload(); // a fresh view even when only the hash changed
  const elevate = page.locator('#elevate-password');
  const tabs = page.getByRole('tablist');
  await Promise.race([elevate.waitFor(), tabs.waitFor()]);
  if (await elevate.isVisible()) {
    await elevate.fill(password);
    await page.getByRole('button', { name: 'Continue' }).click();
  }
  await tabs.waitFor();
}
