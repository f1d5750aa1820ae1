/** The long fuzzing run behind `npm run fuzz` (scripts/fuzz.mjs): see docs/security-testing.md. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fuzz } from './engine.js';
import { TARGETS } from './targets.js';

const { values, positionals } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string' } }, allowPositionals: true });
const chosen = positionals.length ? TARGETS.filter((t) => positionals.includes(t.name)) : TARGETS;
if (chosen.length === 0) {
  process.stderr.write(`no such target; targets: ${TARGETS.map((t) => t.name).join(', ')}\n`);
  process.exit(2);
}
const work = join(process.cwd(), '.fuzz');
let failed = 0;
for (const target of chosen) {
  const corpusDir = join(work, 'corpus', target.name);
  mkdirSync(corpusDir, { recursive: true });
  mkdirSync(join(work, 'crashes'), { recursive: true });
  const saved = readdirSync(corpusDir).map((f) => readFileSync(join(corpusDir, f)));
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() & 0x7fffffff;
  const r = await fuzz(target, { durationMs: Number(values.seconds) * 1000, seed, corpus: saved, slowMs: 2000 });
  for (const input of r.corpus) {
    const f = join(corpusDir, createHash('sha1').update(input).digest('hex'));
    if (!existsSync(f)) writeFileSync(f, input);
  }
  for (const c of r.crashes) {
    const f = join(work, 'crashes', `${target.name}-${createHash('sha1').update(c.input).digest('hex')}`);
    writeFileSync(f, c.input);
    process.stdout.write(`CRASH ${target.name}: ${c.error.split('\n')[0]}\n  input: ${f}\n`);
  }
  failed += r.crashes.length;
  process.stdout.write(`${target.name}: ${r.runs} runs, ${r.features} features, corpus ${r.corpus.length}, crashes ${r.crashes.length} (seed ${seed})\n`);
}
process.exit(failed ? 1 : 0);
