/**
 * The fuzzing in the test suite (issue 15, "how it must be tested from now on"): every target of
 * targets.ts gets a short coverage-guided run with a fixed seed (a couple of seconds each, so the suite
 * stays fast; `npm run fuzz` runs them for as long as wanted), after its regression inputs
 * (test/fuzz/regressions/<target>/*: every crash a longer run found) are replayed. Any crash fails the
 * test with the input, hex-encoded, to add to the regressions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzz } from './engine.js';
import { TARGETS } from './targets.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const MS = Number(process.env.GRANARY_FUZZ_MS ?? 1500);

function regressions(name: string): Buffer[] {
  const dir = join(HERE, 'regressions', name);
  return existsSync(dir) ? readdirSync(dir).sort().map((f) => readFileSync(join(dir, f))) : [];
}

describe('fuzzing the parsers an attacker reaches first', () => {
  for (const target of TARGETS) {
    it(target.name, async () => {
      for (const input of regressions(target.name)) await target.run(input);
      const r = await fuzz(target, { durationMs: MS, seed: 0x5eed, slowMs: 2000 });
      assert.ok(r.runs > target.seeds.length, `${target.name} ran (${r.runs} inputs)`);
      assert.ok(r.features > 0, `${target.name} reached code under src/`);
      assert.deepEqual(
        r.crashes.map((c) => `${c.error.split('\n')[0]} ← input (hex) ${c.input.toString('hex').slice(0, 400)}`),
        [],
        `${target.name}: crashes (add each input to test/fuzz/regressions/${target.name}/)`,
      );
    });
  }
});
