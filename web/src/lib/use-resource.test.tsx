import '../test-setup.js';
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render, screen, waitFor } from '@testing-library/preact';
import { useResource, type Resource } from './use-resource.js';

describe('useResource', () => {
  afterEach(cleanup);

  test('loads, keeps an error only until the next successful load, and drops a stale answer', async () => {
    let calls = 0;
    let seen: Resource<string> | undefined;
    const answers: Array<() => Promise<string>> = [
      () => Promise.reject(new Error('first failed')),
      () => Promise.resolve('second'),
    ];
    function Probe() {
      seen = useResource(() => answers[calls++]!(), []);
      return <p>{seen.loading ? 'loading' : seen.error ? String(seen.error) : seen.data}</p>;
    }
    render(<Probe />);
    await waitFor(() => assert.ok(screen.getByText('Error: first failed')));
    await seen!.reload();
    await waitFor(() => assert.ok(screen.getByText('second')));
    assert.equal(seen!.error, null);

    // Two loads in flight: the older one finishing last does not win.
    let release!: (v: string) => void;
    answers.push(() => new Promise<string>((r) => (release = r)), () => Promise.resolve('newest'));
    const older = seen!.reload();
    await seen!.reload();
    release('older');
    await older;
    await waitFor(() => assert.ok(screen.getByText('newest')));
  });
});
