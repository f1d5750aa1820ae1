/** Local file trees with awkward names for client tests, and their sha256 fingerprints. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** A tree with spaces, '+', '%', unicode, nesting and an empty file. */
export function awkwardTree(): Record<string, Buffer> {
  return {
    'plain.txt': Buffer.from('plain\n'),
    'with space/file one.txt': Buffer.from('one'),
    'plus+sign/a+b.dat': randomBytes(2000),
    'ünïcödé/日本語 ファイル.txt': Buffer.from('unicode ✓'),
    'percent%20literal.txt': Buffer.from('percent'),
    'deep/er/still/deeper.bin': randomBytes(70_000),
    'empty.txt': Buffer.alloc(0),
  };
}

export function writeTree(root: string, tree: Record<string, Buffer>): void {
  for (const [p, b] of Object.entries(tree)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), b);
  }
}

/** path relative to root → sha256, for every file under root. */
export function treeHashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(root, p)] = sha256(readFileSync(p));
    }
  };
  walk(root);
  return out;
}

/** Every file under `root` (recursively): e.g. a server's data directory, to grep it for plaintext. */
export function filesUnder(root: string, out: string[] = []): string[] {
  for (const name of readdirSync(root)) {
    const p = join(root, name);
    if (statSync(p).isDirectory()) filesUnder(p, out);
    else out.push(p);
  }
  return out;
}
