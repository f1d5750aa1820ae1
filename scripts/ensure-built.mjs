#!/usr/bin/env node
// Builds dist/ (server and portal) only when it is missing or older than its sources, so `npm start`
// starts at once after the build `npm ci` / `npm install` made (the `prepare` script runs this too).
// Usage: node scripts/ensure-built.mjs [--force]
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const stamp = join(root, 'dist', '.built');
const SOURCES = ['src', 'web', 'bench', 'test', 'tsconfig.json', 'package.json', 'package-lock.json'];

function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let n = st.mtimeMs;
  for (const name of readdirSync(p)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    n = Math.max(n, newest(join(p, name)));
  }
  return n;
}

const built = existsSync(stamp) && existsSync(join(root, 'dist/src/main.js')) && existsSync(join(root, 'dist/web/index.html')) ? statSync(stamp).mtimeMs : 0;
const sources = Math.max(...SOURCES.map((s) => newest(join(root, s))));
if (!process.argv.includes('--force') && built > sources) process.exit(0);
console.error(built ? 'granary: sources changed since the last build; building…' : 'granary: building (once; `npm start` starts at once afterwards)…');
const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
writeFileSync(stamp, new Date().toISOString() + '\n');
