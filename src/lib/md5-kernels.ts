/**
 * MD5's compression function as WebAssembly, in two kernels generated here (no toolchain, no binary file):
 *
 *   md5x1(p, n)                one stream: n 64-byte blocks at p; state A,B,C,D as 4 words at bytes 0..15
 *   md5x4(p0, p1, p2, p3, n)   four independent streams in the four 32-bit lanes of 128-bit SIMD registers:
 *                              n blocks at each pointer; state at bytes 0..63, word w of lane l at 16w + 4l
 *
 * Why: every PUT and UploadPart needs the MD5 of its bytes (the ETag), and MD5 is one long dependency chain,
 * so one stream cannot go faster than ~500 MiB/s on a core (OpenSSL's, and md5x1, measure the same here).
 * Several uploads at once (a multipart upload's parts, concurrent PUTs) are independent chains, and md5x4
 * runs four of them in the time of ~1.3 (~1,500 MiB/s together on this machine's one hashing core against
 * ~500). No npm package hashes several incremental streams in SIMD lanes, and the kernel is 64 unrolled
 * steps, so it is written out below from MD5's definition (RFC 1321) and checked against node:crypto by
 * md5-lanes.test.ts. md5-lanes.ts schedules streams onto the lanes.
 */

/** Byte offset of the state words in the module's memory; stream data lives above STATE_BYTES. */
export const STATE_BYTES = 64;

export interface Md5Kernels {
  memory: WebAssembly.Memory;
  md5x1(p: number, blocks: number): void;
  md5x4(p0: number, p1: number, p2: number, p3: number, blocks: number): void;
}

/** Instantiates the kernels with a memory of at least `memoryBytes`. Throws where WebAssembly SIMD is missing. */
export function instantiateMd5Kernels(memoryBytes: number): Md5Kernels {
  const pages = Math.ceil(memoryBytes / 65536);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(pages)), {});
  return instance.exports as unknown as Md5Kernels;
}

// ---- MD5's constants (RFC 1321 §3.4) ------------------------------------------------------------------------
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0);
const SHIFT = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const shiftOf = (i: number): number => SHIFT[(i >> 4) * 4 + (i % 4)]!;
/** The message word step i reads. */
const wordOf = (i: number): number => [i, (5 * i + 1) % 16, (3 * i + 5) % 16, (7 * i) % 16][i >> 4]!;

// ---- a minimal WebAssembly binary encoder -------------------------------------------------------------------
const I32 = 0x7f;
const V128 = 0x7b;
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  n |= 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const utf8 = (s: string): number[] => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
const section = (id: number, payload: number[]): number[] => [id, ...uleb(payload.length), ...payload];

/** Instruction bytes of one function body, written in stack order. */
class Code {
  readonly b: number[] = [];
  get(local: number): this {
    return this.op(0x20, ...uleb(local));
  }
  set(local: number): this {
    return this.op(0x21, ...uleb(local));
  }
  tee(local: number): this {
    return this.op(0x22, ...uleb(local));
  }
  i32(value: number): this {
    return this.op(0x41, ...sleb(value));
  }
  op(...bytes: number[]): this {
    this.b.push(...bytes);
    return this;
  }
  /** A SIMD instruction (0xfd prefix) with its immediates. */
  simd(opcode: number, ...immediates: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...immediates);
  }
}

// Opcodes used (WebAssembly core spec §5.4, SIMD proposal).
const OP = { block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, i32Load: 0x28, i32Store: 0x36, i32Eqz: 0x45 };
const OP32 = { add: 0x6a, sub: 0x6b, and: 0x71, or: 0x72, xor: 0x73, rotl: 0x77 };
const SIMD = { load: 0x00, store: 0x0b, const: 0x0c, shuffle: 0x0d, not: 0x4d, and: 0x4e, andnot: 0x4f, or: 0x50, xor: 0x51, shl: 0xab, shrU: 0xad, add: 0xae };
const VOID_BLOCK = 0x40;

/**
 * One MD5 step, the same for both kernels: a = b + rotl(a + f(b,c,d) + K[i] + M[g], s). `a + K + M` is added
 * first and f last because a is four steps old while b is the previous step's result: the chain each step
 * waits for is only f, one add and the rotation. Round 2's f = (b & d) | (c & ~d) is added as two terms
 * (they never share a bit), so only b & d is on that chain.
 */
function emitStep(c: Code, i: number, v: { a: number; b: number; c: number; d: number; m: number; t?: number }, simd: boolean): void {
  const add = (): Code => (simd ? c.simd(SIMD.add) : c.op(OP32.add));
  const and = (): Code => (simd ? c.simd(SIMD.and) : c.op(OP32.and));
  const or = (): Code => (simd ? c.simd(SIMD.or) : c.op(OP32.or));
  const xor = (): Code => (simd ? c.simd(SIMD.xor) : c.op(OP32.xor));
  const not = (): Code => (simd ? c.simd(SIMD.not) : c.i32(-1).op(OP32.xor));
  const aKM = (): void => {
    c.get(v.a);
    if (simd) c.simd(SIMD.const, ...[K[i]!, K[i]!, K[i]!, K[i]!].flatMap((k) => [k & 0xff, (k >>> 8) & 0xff, (k >>> 16) & 0xff, (k >>> 24) & 0xff]));
    else c.i32(K[i]!);
    c.get(v.m + wordOf(i));
    add();
    add();
  };
  const round = i >> 4;
  c.get(v.b);
  if (round === 0) {
    c.get(v.d).get(v.b).get(v.c).get(v.d); // f = d ^ (b & (c ^ d))
    xor();
    and();
    xor();
    aKM();
    add();
  } else if (round === 1) {
    c.get(v.b).get(v.d); // (b & d) + ((c & ~d) + a + K + M)
    and();
    c.get(v.c).get(v.d);
    if (simd) c.simd(SIMD.andnot);
    else {
      not();
      and();
    }
    aKM();
    add();
    add();
  } else if (round === 2) {
    c.get(v.b).get(v.c).get(v.d); // f = b ^ c ^ d
    xor();
    xor();
    aKM();
    add();
  } else {
    c.get(v.c).get(v.b).get(v.d); // f = c ^ (b | ~d)
    not();
    or();
    xor();
    aKM();
    add();
  }
  const s = shiftOf(i);
  // SIMD has no rotate: (x << s) | (x >>> 32 - s), x kept in the scratch local t
  if (simd) c.tee(v.t!).i32(s).simd(SIMD.shl).get(v.t!).i32(32 - s).simd(SIMD.shrU).simd(SIMD.or);
  else c.i32(s).op(OP32.rotl);
  add();
  c.set(v.a);
}

/**
 * The block loop around 64 steps. `load` leaves M[0..15] in locals m.., state is read from and written back
 * to memory around the loop, and `advance` moves the data pointer(s) on by a block.
 */
function emitKernel(c: Code, simd: boolean, v: { n: number; a: number; m: number; t?: number }, load: () => void, advance: () => void): void {
  const width = simd ? 16 : 4;
  const [a, b, cc, d] = [v.a, v.a + 1, v.a + 2, v.a + 3];
  const saved = v.a + 4; // copies of a..d at the start of the block
  const loadOp = (offset: number): void => {
    c.i32(0);
    if (simd) c.simd(SIMD.load, 4, ...uleb(offset));
    else c.op(OP.i32Load, 2, ...uleb(offset));
  };
  const storeOp = (offset: number, local: number): void => {
    c.i32(0).get(local);
    if (simd) c.simd(SIMD.store, 4, ...uleb(offset));
    else c.op(OP.i32Store, 2, ...uleb(offset));
  };
  for (let w = 0; w < 4; w++) {
    loadOp(w * width);
    c.set(v.a + w);
  }
  c.op(OP.block, VOID_BLOCK, OP.loop, VOID_BLOCK);
  c.get(v.n).op(OP.i32Eqz, OP.brIf, 1);
  load();
  for (let w = 0; w < 4; w++) c.get(v.a + w).set(saved + w);
  let r = { a, b, c: cc, d };
  for (let i = 0; i < 64; i++) {
    emitStep(c, i, { ...r, m: v.m, t: v.t }, simd);
    r = { a: r.d, b: r.a, c: r.b, d: r.c };
  }
  for (let w = 0; w < 4; w++) {
    c.get(v.a + w).get(saved + w);
    if (simd) c.simd(SIMD.add);
    else c.op(OP32.add);
    c.set(v.a + w);
  }
  advance();
  c.get(v.n).i32(1).op(OP32.sub).set(v.n);
  c.op(OP.br, 0, OP.end, OP.end);
  for (let w = 0; w < 4; w++) storeOp(w * width, v.a + w);
}

/** md5x1: params p(0), n(1); locals a..d(2-5), saved(6-9), m0..m15(10-25). */
function md5x1Body(): number[] {
  const c = new Code();
  const m = 10;
  emitKernel(
    c,
    false,
    { n: 1, a: 2, m },
    () => {
      for (let w = 0; w < 16; w++) c.get(0).op(OP.i32Load, 2, ...uleb(4 * w)).set(m + w);
    },
    () => c.get(0).i32(64).op(OP32.add).set(0),
  );
  return [...vec([[...uleb(24), I32]]), ...c.b];
}

/**
 * md5x4: params p0..p3(0-3), n(4); locals a..d(5-8), saved(9-12), t(13), x0..x3(14-17), y0..y3(18-21),
 * m0..m15(22-37). The four lanes' blocks are loaded 16 bytes at a time and transposed with shuffles, so that
 * m_w holds word w of every lane.
 */
function md5x4Body(): number[] {
  const c = new Code();
  const [t, x, y, m] = [13, 14, 18, 22];
  // i8x16.shuffle lane indices: 0-15 pick from the first operand, 16-31 from the second.
  const seq = (...starts: number[]): number[] => starts.flatMap((s) => [s, s + 1, s + 2, s + 3]);
  const interleaveLo = seq(0, 16, 4, 20); // x0 y0 x1 y1 (32-bit words)
  const interleaveHi = seq(8, 24, 12, 28); // x2 y2 x3 y3
  const lowHalves = seq(0, 4, 16, 20); // first 64 bits of each operand
  const highHalves = seq(8, 12, 24, 28);
  const shuffle = (p: number, q: number, lanes: number[], into: number): void => {
    c.get(p).get(q).simd(SIMD.shuffle, ...lanes).set(into);
  };
  emitKernel(
    c,
    true,
    { n: 4, a: 5, m, t },
    () => {
      for (let k = 0; k < 4; k++) {
        for (let l = 0; l < 4; l++) c.get(l).simd(SIMD.load, 4, ...uleb(16 * k)).set(x + l);
        shuffle(x, x + 1, interleaveLo, y); // a0 b0 a1 b1
        shuffle(x + 2, x + 3, interleaveLo, y + 1); // c0 d0 c1 d1
        shuffle(x, x + 1, interleaveHi, y + 2); // a2 b2 a3 b3
        shuffle(x + 2, x + 3, interleaveHi, y + 3); // c2 d2 c3 d3
        shuffle(y, y + 1, lowHalves, m + 4 * k); // a0 b0 c0 d0
        shuffle(y, y + 1, highHalves, m + 4 * k + 1); // a1 b1 c1 d1
        shuffle(y + 2, y + 3, lowHalves, m + 4 * k + 2);
        shuffle(y + 2, y + 3, highHalves, m + 4 * k + 3);
      }
    },
    () => {
      for (let l = 0; l < 4; l++) c.get(l).i32(64).op(OP32.add).set(l);
    },
  );
  return [...vec([[...uleb(33), V128]]), ...c.b];
}

function moduleBytes(pages: number): Uint8Array<ArrayBuffer> {
  const body = (b: number[]): number[] => [...uleb(b.length), ...b];
  const types = vec([
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([])], // md5x4
    [0x60, ...vec([[I32], [I32]]), ...vec([])], // md5x1
  ]);
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, types),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, ...uleb(pages)]])),
    ...section(
      7,
      vec([
        [...utf8('memory'), 0x02, 0],
        [...utf8('md5x4'), 0x00, 0],
        [...utf8('md5x1'), 0x00, 1],
      ]),
    ),
    ...section(10, vec([body([...md5x4Body(), OP.end]), body([...md5x1Body(), OP.end])])),
  ];
  return new Uint8Array(bytes);
}
