/**
 * Issue 17's shape rule, kept by the suite: no source file under src/metadata/ over 500 lines (migrations and
 * tests excepted). A file that grows past it is split by concern (as sqlite/ and postgres/ are: statements,
 * write path, store), not allowed to become the next 1,400-line store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filesUnder } from '../../test/helpers/tree.js';

const MAX_LINES = 500;

test(`no source file under src/metadata/ is over ${MAX_LINES} lines (migrations and tests excepted)`, () => {
  const root = dirname(fileURLToPath(import.meta.url));
  const over = filesUnder(root)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('/migrations.ts'))
    .map((f) => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter((f) => f.lines > MAX_LINES);
  assert.deepEqual(over, [], 'split these by concern');
});
