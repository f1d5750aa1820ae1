import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox, createMasterKeyFile, loadMasterKey } from './secrets.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'granary-mk-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('master key: created once (mode 0600), then read back; a sealed secret opens with it', () =>
  withDir((dir) => {
    const file = join(dir, 'sub', 'master.key');
    const a = loadMasterKey(file, {});
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const b = loadMasterKey(file, {});
    assert.deepEqual(a, b);
    assert.equal(new SecretBox(b).open(new SecretBox(a).seal('s3cret')), 's3cret');
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['master.key'], 'no temporary file is left behind');
  }));

test('master key: a gateway that loses the race to create it gets the winner\'s key, not EEXIST', () =>
  withDir((dir) => {
    // Two gateways on a fresh shared directory both saw no file and both create one.
    const file = join(dir, 'master.key');
    const winner = createMasterKeyFile(file);
    const loser = createMasterKeyFile(file);
    assert.deepEqual(loser, winner);
    assert.deepEqual(loadMasterKey(file, {}), winner);
    assert.deepEqual(readdirSync(dir), ['master.key']);
  }));
