/** Unit tests for key-range.ts: successor of a prefix in UTF-8 byte order, including multi-byte keys. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, prefixSuccessor, scanRange } from './key-range.js';

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

describe('scanRange', () => {
  it('has one lower bound: the prefix when the start is before it, else the start with its own flag', () => {
    assert.deepEqual(scanRange('', '', false), { from: '', inclusive: false, to: undefined });
    assert.deepEqual(scanRange('', 'd50/', true), { from: 'd50/', inclusive: true, to: undefined });
    assert.deepEqual(scanRange('d', 'd50/k1', false), { from: 'd50/k1', inclusive: false, to: 'e' });
    assert.deepEqual(scanRange('d5', 'a', false), { from: 'd5', inclusive: true, to: 'd6' });
    assert.deepEqual(scanRange('d5', 'd5', false), { from: 'd5', inclusive: false, to: 'd6' }, 'after the prefix itself');
    assert.deepEqual(scanRange('d5', 'd5', true), { from: 'd5', inclusive: true, to: 'd6' });
    // UTF-8 byte order, not UTF-16: U+1F600 sorts after U+FFFF
    assert.deepEqual(scanRange('\uffff', '😀', false), undefined);
    assert.deepEqual(scanRange('😀', '\uffff', false), { from: '😀', inclusive: true, to: '😁' });
  });

  it('is empty when the start is at or past every key with the prefix', () => {
    assert.equal(scanRange('d1', 'd2', false), undefined);
    assert.equal(scanRange('d1', 'd2', true), undefined);
    assert.notEqual(scanRange('d1', 'd1\u{10ffff}', false), undefined);
  });

  it('selects exactly the keys with the prefix after the start', () => {
    const keys = ['', 'a', 'a/', 'a/b', 'a0', 'ä', 'äb', 'å', 'z', '😀', '😀x', '😁', '\uffff', 'b'];
    for (const prefix of ['', 'a', 'a/', 'ä', '😀']) {
      for (const start of keys) {
        for (const inclusive of [false, true]) {
          const r = scanRange(prefix, start, inclusive);
          for (const k of keys) {
            const want = k.startsWith(prefix) && (inclusive ? compareKeys(k, start) >= 0 : compareKeys(k, start) > 0);
            const got = r !== undefined && (r.inclusive ? compareKeys(k, r.from) >= 0 : compareKeys(k, r.from) > 0) && (r.to === undefined || compareKeys(k, r.to) < 0);
            assert.equal(got, want, `prefix ${JSON.stringify(prefix)} start ${JSON.stringify(start)} ${inclusive} key ${JSON.stringify(k)}`);
          }
        }
      }
    }
  });
});
