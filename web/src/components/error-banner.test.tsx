import '../test-setup.js';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { ErrorBanner, StatusLine } from './error-banner.js';

describe('ErrorBanner and StatusLine', () => {
  afterEach(cleanup);

  test('an error is an alert in words, dismissable; nothing at all without one', () => {
    let dismissed = false;
    const { rerender, container } = render(<ErrorBanner error={new Error('The tenancy quota of t (10 B) would be exceeded. (QuotaExceeded)')} onDismiss={() => (dismissed = true)} />);
    assert.match(screen.getByRole('alert').textContent ?? '', /quota of t \(10 B\) would be exceeded/);
    fireEvent.click(screen.getByLabelText('Dismiss this message'));
    assert.equal(dismissed, true);
    rerender(<ErrorBanner error={null} />);
    assert.equal(container.innerHTML, '');
  });

  test('a status line is a polite live region', () => {
    render(<StatusLine text="Uploaded 2 files to b/." />);
    const s = screen.getByRole('status');
    assert.equal(s.getAttribute('aria-live'), 'polite');
    assert.match(s.textContent ?? '', /Uploaded 2 files/);
  });
});
