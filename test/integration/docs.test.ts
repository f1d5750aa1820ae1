/**
 * The repository carries its own documentation: README and docs/ link nothing outside it, every link to
 * a file in it resolves, and the portal guide's screenshots (made by test/e2e/toolkit.test.ts with
 * GRANARY_DOC_SCREENSHOTS=1) are committed and small.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../helpers/server.js';

const pages = ['README.md', 'SECURITY.md', ...readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), ...readdirSync(join(REPO_ROOT, 'docs/clients')).map((f) => `docs/clients/${f}`)];

describe('documentation', () => {
  test('links stay inside the repository and resolve', () => {
    for (const page of pages) {
      const text = readFileSync(join(REPO_ROOT, page), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (target === '' || /^[a-z]+:/.test(target)) continue;
        const abs = resolve(REPO_ROOT, dirname(page), target);
        assert.ok(!relative(REPO_ROOT, abs).startsWith('..'), `${page} links outside the repository: ${m[1]}`);
        assert.ok(existsSync(abs), `${page} links to a missing file: ${m[1]}`);
      }
    }
  });

  test('the portal guide shows screenshots that are committed and small', () => {
    const guide = readFileSync(join(REPO_ROOT, 'docs/portal.md'), 'utf8');
    const images = [...guide.matchAll(/!\[[^\]]*\]\(([^)]+\.png)\)/g)].map((m) => m[1]!);
    assert.ok(images.length >= 6);
    for (const img of images) {
      const p = join(REPO_ROOT, 'docs', img);
      assert.ok(existsSync(p), `missing ${img}`);
      assert.ok(statSync(p).size < 250 * 1024, `${img} is ${statSync(p).size} bytes`);
    }
  });

  test('the docs say `npx granary` where they run the CLI', () => {
    for (const page of pages) {
      const text = readFileSync(join(REPO_ROOT, page), 'utf8');
      for (const line of text.split('\n')) {
        if (/^\s*granary (serve|admin|cert|migrate)\b/.test(line) || /`granary (serve|admin|cert|migrate)\b/.test(line)) assert.fail(`${page}: "${line.trim()}" should say npx granary`);
      }
    }
  });
});
