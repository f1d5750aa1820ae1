import '../test-setup.js';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render } from '@testing-library/preact';
import { UrlText } from './url-text.js';

describe('UrlText', () => {
  afterEach(cleanup);

  test('keeps the text as it is, may wrap only after . / : and never inside a hyphenated name', () => {
    const url = 'https://cedadev-o.s3-ext.example.org:8443/long-bucket-name';
    const { container } = render(<UrlText text={url} />);
    const code = container.querySelector('code')!;
    assert.equal(code.textContent, url);
    const pieces = [...code.querySelectorAll('span.nobr')].map((s) => s.textContent!);
    assert.ok(pieces.every((p) => !/-$/.test(p) || false), 'no piece ends at a hyphen');
    assert.ok(pieces.includes('cedadev-o.'), pieces.join('|'));
    assert.equal(code.querySelectorAll('wbr').length, pieces.length - 1);
  });
});
