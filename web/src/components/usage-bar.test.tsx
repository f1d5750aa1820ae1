import '../test-setup.js';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render, screen } from '@testing-library/preact';
import { UsageBar } from './usage-bar.js';

describe('UsageBar', () => {
  afterEach(cleanup);

  test('says the level in words beside the colour, and as the meter value text', () => {
    render(<UsageBar usage={{ bytes: 960, objects: 3 }} quota={{ bytes: 1000, objects: null, action: 'read-delete' }} status={{ percent: 96, level: 'critical' }} />);
    const meter = screen.getByRole('meter');
    assert.equal(meter.getAttribute('aria-valuetext'), '96% used (critical)');
    assert.equal(meter.getAttribute('data-level'), 'critical');
    assert.match(screen.getByTestId('usage-text').textContent ?? '', /critical: 960 B of 1000 B, 3 objects — 96\.0%/);
  });

  test('without a quota it says so', () => {
    render(<UsageBar usage={{ bytes: 5, objects: 1 }} quota={{ bytes: null, objects: null, action: 'read-delete' }} status={{ percent: null, level: 'ok' }} />);
    assert.match(screen.getByTestId('usage-text').textContent ?? '', /no quota/);
  });
});
