#!/usr/bin/env node
// Runs every *.test.ts(x) under src/, web/src/ (the portal's component tests) and test/ with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [dir-or-file ...]   (default: src test)
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(p, out) {
  const st = statSync(p);
  if (st.isDirectory()) {
    for (const name of readdirSync(p).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      collect(join(p, name), out);
    }
  } else if (p.endsWith('.test.ts') || p.endsWith('.test.tsx')) {
    out.push(p);
  }
  return out;
}

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['src', 'web/src', 'test'];
const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// The portal's component tests compile JSX for Preact (web/tsconfig.test.json); everything else as Node code.
const web = files.filter((f) => f.endsWith('.tsx'));
const node = files.filter((f) => !f.endsWith('.tsx'));
let status = 0;
for (const [group, tsconfig] of [[web, 'web/tsconfig.test.json'], [node, undefined]]) {
  if (group.length === 0) continue;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...group],
    { stdio: 'inherit', env: { ...process.env, GRANARY_TEST: '1', ...(tsconfig ? { TSX_TSCONFIG_PATH: tsconfig } : {}) } },
  );
  if (r.status !== 0) status = r.status ?? 1;
}
process.exit(status);
