import '../test-setup.js';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render, screen } from '@testing-library/preact';
import { DataTable } from './data-table.js';

const columns = [
  { header: 'Name', cell: (r: { n: string }) => r.n },
  { header: 'Actions', hidden: true, cell: () => <button type="button">Go</button> },
];

describe('DataTable', () => {
  afterEach(cleanup);

  test('is named by its caption and has column headers, a hidden one still read out', () => {
    render(<DataTable caption="Things" columns={columns} rows={[{ n: 'one' }, { n: 'two' }]} rowKey={(r) => r.n} empty="None." />);
    const table = screen.getByRole('table', { name: 'Things' });
    const headers = screen.getAllByRole('columnheader');
    assert.deepEqual(headers.map((h) => h.textContent), ['Name', 'Actions']);
    assert.ok(headers.every((h) => h.getAttribute('scope') === 'col'));
    assert.equal(table.querySelectorAll('tbody tr').length, 2);
  });

  test('says when it is empty, and while it loads', () => {
    const { rerender } = render(<DataTable caption="Things" columns={columns} rows={undefined} rowKey={(r) => r.n} empty="Nothing here yet." />);
    assert.ok(screen.getByText('Loading…'));
    rerender(<DataTable caption="Things" columns={columns} rows={[]} rowKey={(r) => r.n} empty="Nothing here yet." />);
    const cell = screen.getByText('Nothing here yet.');
    assert.equal(cell.getAttribute('colspan'), '2');
  });
});
