import '../test-setup.js';
import { describe, test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { useState } from 'preact/hooks';
import { Tabs } from './tabs.js';

const TABS = [{ id: 'a', label: 'Alpha' }, { id: 'b', label: 'Beta' }, { id: 'c', label: 'Gamma' }];

function Harness() {
  const [sel, setSel] = useState('a');
  return <Tabs tabs={TABS} selected={sel} onSelect={setSel} label="Sections" idPrefix="t"><p>panel {sel}</p></Tabs>;
}

describe('Tabs (WAI-ARIA tabs pattern)', () => {
  afterEach(cleanup);

  test('one tablist, tabs wired to one labelled panel; only the selected tab is in the Tab order', () => {
    render(<Harness />);
    assert.equal(screen.getByRole('tablist').getAttribute('aria-label'), 'Sections');
    const tabs = screen.getAllByRole('tab');
    assert.deepEqual(tabs.map((t) => t.getAttribute('aria-selected')), ['true', 'false', 'false']);
    assert.deepEqual(tabs.map((t) => t.getAttribute('tabindex')), ['0', '-1', '-1']);
    const panel = screen.getByRole('tabpanel');
    assert.equal(panel.getAttribute('aria-labelledby'), 't-tab-a');
    assert.equal(tabs[0]!.getAttribute('aria-controls'), panel.id);
  });

  test('arrow keys move and select (wrapping), Home and End go to the ends', async () => {
    render(<Harness />);
    const list = screen.getByRole('tablist');
    const selected = () => screen.getAllByRole('tab').find((t) => t.getAttribute('aria-selected') === 'true')!.textContent;
    fireEvent.keyDown(list, { key: 'ArrowRight' });
    assert.equal(selected(), 'Beta');
    fireEvent.keyDown(list, { key: 'End' });
    assert.equal(selected(), 'Gamma');
    fireEvent.keyDown(list, { key: 'ArrowRight' });
    assert.equal(selected(), 'Alpha', 'wraps to the first');
    fireEvent.keyDown(list, { key: 'ArrowLeft' });
    assert.equal(selected(), 'Gamma', 'wraps to the last');
    fireEvent.keyDown(list, { key: 'Home' });
    assert.equal(selected(), 'Alpha');
    assert.equal(screen.getByRole('tabpanel').textContent, 'panel a');
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(document.activeElement?.textContent, 'Alpha', 'focus follows the selection');
  });
});
