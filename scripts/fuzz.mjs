#!/usr/bin/env node
// Longer fuzzing runs than the test suite's (docs/security-testing.md).
// Usage: npm run fuzz -- [--seconds N] [--seed N] [target ...]   (default: every target, 60 s each)
// The corpus grows in .fuzz/corpus/<target>/ (kept between runs); each crash is written to
// .fuzz/crashes/<target>-<sha1> and should become a file in test/fuzz/regressions/<target>/ once fixed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test/fuzz/run.ts'), ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
