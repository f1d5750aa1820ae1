#!/usr/bin/env node
// The code checks `npm test` runs before the tests (so CI runs them too): the design's layer rules
// (dependency-cruiser, .dependency-cruiser.cjs) and the linter (Biome, biome.json). Either failing fails
// the run, with the offending imports or lines printed.
// Usage: node scripts/check-code.mjs   (skipped when GRANARY_SKIP_CODE_CHECKS=1, e.g. for a targeted re-run)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.GRANARY_SKIP_CODE_CHECKS === '1') process.exit(0);
const bin = (name) => join(root, 'node_modules', '.bin', name);
const checks = [
  ['layers (dependency-cruiser)', bin('depcruise'), ['src', 'web/src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err']],
  ['lint (biome)', bin('biome'), ['lint', '--max-diagnostics=50']],
];
let failed = 0;
for (const [name, cmd, args] of checks) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`check failed: ${name}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
