import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prefersHtml, renderLandingPage } from './landing-page.js';
import { DEFAULT_LANDING } from '../core/landing.js';

describe('landing page', () => {
  test('only a browser navigating gets HTML: S3 tools and explicit XML do not', () => {
    assert.equal(prefersHtml('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'), true);
    assert.equal(prefersHtml('*/*'), false, 'curl');
    assert.equal(prefersHtml(undefined), false, 'SDKs send none');
    assert.equal(prefersHtml('application/xml'), false);
    assert.equal(prefersHtml('application/xml, text/html;q=0.5'), false);
  });

  test('every name is escaped, README raw HTML is text, no script anywhere', () => {
    const html = renderLandingPage({
      settings: { ...DEFAULT_LANDING, enabled: true, title: '<img src=x onerror=alert(1)>', citation: '"cite" & <b>' },
      bucket: 'b',
      tenancy: 't',
      prefix: '',
      entries: [{ kind: 'object', name: '<script>alert(1)</script>.nc', size: 3, lastModified: 0, href: '/b/x"y' }],
      crumbs: [{ label: 'b', href: '/b' }],
      readme: '# Hi\n<script>alert(2)</script>\n[x](javascript:alert(3))',
      publicUrl: 'https://t.s3-ext.example.org/b',
    });
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<img/i);
    assert.doesNotMatch(html, /href="javascript:/i);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;\.nc/);
    assert.match(html, /href="\/b\/x&quot;y"/);
    assert.match(html, /1970-01-01 00:00 UTC/);
  });
});
