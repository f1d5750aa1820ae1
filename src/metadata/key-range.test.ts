/** Unit tests for key-range.ts: successor of a prefix in UTF-8 byte order, including multi-byte keys. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, prefixSuccessor } from './key-range.js';

describe('prefixSuccessor', () => {
  const cases: [string, string | undefined][] = [
    ['', undefined],
    ['a', 'b'],
    ['a/', 'a0'],
    ['photos/2024', 'photos/2025'],
    ['z', '{'],
    ['ä', 'å'],
    ['\u007f', '\u0080'], // 1-byte → 2-byte boundary
    ['\u07ff', '\u0800'], // 2-byte → 3-byte boundary
    ['\ud7ff', '\ue000'], // skips the surrogate range
    ['\uffff', '\u{10000}'], // BMP → supplementary
    ['a😀', 'a😁'],
    ['a\u{10ffff}', 'b'],
    ['\u{10ffff}\u{10ffff}', undefined],
    ['x\u{10ffff}\u{10ffff}', 'y'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(prefixSuccessor(input), expected);
    });
  }

  it('bounds exactly the keys that start with the prefix (byte order)', () => {
    const keys = ['a', 'a/', 'a/b', 'a0', 'ä', 'äb', 'å', 'z', '😀', '😀x', '😁', '\uffff', '\ue000', 'a\u{10ffff}', 'b'];
    for (const prefix of ['a', 'a/', 'ä', '😀', '\uffff', 'a\u{10ffff}']) {
      const succ = prefixSuccessor(prefix);
      for (const k of keys) {
        const inRange = compareKeys(k, prefix) >= 0 && (succ === undefined || compareKeys(k, succ) < 0);
        assert.equal(inRange, k.startsWith(prefix), `prefix ${JSON.stringify(prefix)} key ${JSON.stringify(k)}`);
      }
    }
  });
});

describe('compareKeys', () => {
  it('orders by UTF-8 bytes, not UTF-16 units', () => {
    // U+FFFF is EF BF BF; U+1F600 is F0 9F 98 80: bytes say emoji is larger, UTF-16 units say smaller.
    assert.ok('😀' < '\uffff');
    assert.ok(compareKeys('😀', '\uffff') > 0);
    assert.ok(compareKeys('z', 'ä') < 0);
  });
});
