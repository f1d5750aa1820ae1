import '../test-setup.js';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, fireEvent, render, screen } from '@testing-library/preact';
import { ConfirmDialog, type ConfirmRequest } from './confirm-dialog.js';

describe('ConfirmDialog', () => {
  afterEach(cleanup);

  test('asks in words, passes the reason typed, and does nothing on Cancel', async () => {
    const got: string[] = [];
    let closed = 0;
    const req: ConfirmRequest = { title: 'Reject mo?', message: 'mo sees your reason.', confirmLabel: 'Reject', reason: { label: 'Reason' }, danger: true, onConfirm: (r) => void got.push(r) };
    const { rerender } = render(<ConfirmDialog request={req} onClose={() => closed++} />);
    assert.ok(screen.getByText('mo sees your reason.'));
    fireEvent.click(screen.getByText('Cancel'));
    assert.deepEqual(got, []);
    assert.equal(closed, 1);
    rerender(<ConfirmDialog request={{ ...req }} onClose={() => closed++} />);
    fireEvent.input(screen.getByLabelText('Reason'), { target: { value: '  not this term  ' } });
    fireEvent.submit(screen.getByText('Reject').closest('form')!);
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(got, ['not this term'], 'the reason, trimmed');
  });
});
