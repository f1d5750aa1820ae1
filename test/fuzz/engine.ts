/**
 * A small coverage-guided fuzzer (the libFuzzer loop) on V8's own block coverage, for the parsers an
 * attacker reaches first (targets.ts). Why not Jazzer.js: its 4.0.0 packages ship prebuilt addons for
 * macOS only and no sources, and 2.x builds libFuzzer from an LLVM tarball downloaded at install time, so
 * neither installs on a machine that reaches only the npm registry and Debian (docs/security-testing.md).
 *
 * The loop: start from the target's seeds; mutate a corpus entry (bit flips, byte sets, inserts,
 * deletions, duplications, dictionary tokens, splices with another entry); run the target; read which
 * code blocks of `src/` ran (`Profiler.takePreciseCoverage`, counters reset by each take) and keep the
 * input if it reached a block, or a hit-count bucket of one, that no earlier input did. A crash is any
 * exception the target does not expect (targets expect S3Error, the answers AWS gives to bad input) or an
 * input that takes longer than `slowMs`. Deterministic for a given seed.
 */
import { Session } from 'node:inspector/promises';
import { createHash } from 'node:crypto';

export interface FuzzTarget {
  name: string;
  /** Valid and near-valid inputs to start from. */
  seeds: Array<string | Buffer>;
  /** Tokens worth inserting (header names, XML tags, separators). */
  dictionary?: string[];
  /** Longest input tried. */
  maxLength?: number;
  /** Runs one input; throws only for a bug (an expected refusal is returned or swallowed by the target). */
  run(input: Buffer): void | Promise<void>;
}

export interface Crash {
  input: Buffer;
  error: string;
}

export interface FuzzResult {
  runs: number;
  corpus: Buffer[];
  features: number;
  crashes: Crash[];
}

export interface FuzzOptions {
  durationMs: number;
  maxRuns?: number;
  seed?: number;
  /** An input slower than this is a crash (a parser must stay linear). */
  slowMs?: number;
  /** Extra starting inputs (a saved corpus). */
  corpus?: Buffer[];
  /** Stop at the first crash. */
  stopOnCrash?: boolean;
}

/** xorshift32: a deterministic stream of pseudo-random numbers. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return n <= 0 ? 0 : x % n;
  };
}

const INTERESTING = [0x00, 0x01, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x25, 0x26, 0x27, 0x2b, 0x2c, 0x2f, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x5c, 0x7f, 0x80, 0xc0, 0xe0, 0xef, 0xf0, 0xfe, 0xff];

function mutate(input: Buffer, corpus: Buffer[], dictionary: Buffer[], rand: (n: number) => number, maxLength: number): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + rand(4);
  for (let r = 0; r < rounds; r++) {
    const at = rand(b.length + 1);
    switch (rand(9)) {
      case 0: // flip a bit
        if (b.length) b[rand(b.length)]! ^= 1 << rand(8);
        break;
      case 1: // set an interesting byte
        if (b.length) b[rand(b.length)] = INTERESTING[rand(INTERESTING.length)]!;
        break;
      case 2: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + rand(8) }, () => rand(256))), b.subarray(at)]);
        break;
      case 3: {
        // delete a range
        const len = 1 + rand(Math.max(1, Math.min(64, b.length - at)));
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
        break;
      }
      case 4: {
        // duplicate a range (repetition finds quadratic behaviour)
        const len = 1 + rand(Math.max(1, Math.min(256, b.length - at)));
        const piece = b.subarray(at, at + len);
        const times = 1 + rand(32);
        b = Buffer.concat([b.subarray(0, at), ...Array.from({ length: times }, () => piece), b.subarray(at)]);
        break;
      }
      case 5:
      case 6: // insert or overwrite with a dictionary token
        if (dictionary.length) {
          const tok = dictionary[rand(dictionary.length)]!;
          b = rand(2) ? Buffer.concat([b.subarray(0, at), tok, b.subarray(at)]) : Buffer.concat([b.subarray(0, at), tok, b.subarray(at + tok.length)]);
        }
        break;
      case 7: {
        // splice with another corpus entry
        const other = corpus[rand(corpus.length)]!;
        const cut = rand(other.length + 1);
        b = Buffer.concat([b.subarray(0, at), other.subarray(cut)]);
        break;
      }
      default: // an ASCII digit run (lengths, sizes, dates)
        b = Buffer.concat([b.subarray(0, at), Buffer.from(String(rand(2) ? rand(10) : 2 ** (rand(64)) - rand(3))), b.subarray(at)]);
    }
  }
  return b.length > maxLength ? b.subarray(0, maxLength) : b;
}

/** Coverage features of the last run: block ranges of `src/` that ran, with their hit-count bucket. */
async function features(session: Session, into: Set<string>): Promise<number> {
  const { result } = await session.post('Profiler.takePreciseCoverage');
  let fresh = 0;
  for (const script of result) {
    if (!script.url.includes('/src/')) continue;
    for (const fn of script.functions) {
      for (const range of fn.ranges) {
        if (range.count === 0) continue;
        const bucket = range.count < 4 ? range.count : 32 - Math.clz32(range.count);
        const key = `${script.scriptId}:${range.startOffset}:${range.endOffset}:${bucket}`;
        if (!into.has(key)) {
          into.add(key);
          fresh++;
        }
      }
    }
  }
  return fresh;
}

let session: Session | undefined;

async function coverageSession(): Promise<Session> {
  if (session) return session;
  const s = new Session();
  s.connect();
  await s.post('Profiler.enable');
  await s.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  session = s;
  return s;
}

async function runOne(target: FuzzTarget, input: Buffer, slowMs: number): Promise<string | undefined> {
  const t0 = performance.now();
  try {
    await target.run(input);
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  }
  const ms = performance.now() - t0;
  return ms > slowMs ? `slow input: ${ms.toFixed(0)} ms (limit ${slowMs} ms)` : undefined;
}

export async function fuzz(target: FuzzTarget, opts: FuzzOptions): Promise<FuzzResult> {
  const s = await coverageSession();
  const rand = rng(opts.seed ?? 1);
  const maxLength = target.maxLength ?? 4096;
  const slowMs = opts.slowMs ?? 1000;
  const dictionary = (target.dictionary ?? []).map((t) => Buffer.from(t));
  const seen = new Set<string>();
  const corpus: Buffer[] = [];
  const crashes: Crash[] = [];
  const crashed = new Set<string>();
  let runs = 0;
  await features(s, new Set()); // drop what ran before
  const tryInput = async (input: Buffer, always: boolean): Promise<void> => {
    runs++;
    const error = await runOne(target, input, slowMs);
    const fresh = await features(s, seen);
    if (error !== undefined) {
      const id = createHash('sha1').update(error.split('\n')[0]!).digest('hex');
      if (!crashed.has(id)) {
        crashed.add(id);
        crashes.push({ input, error });
      }
      return;
    }
    if (fresh > 0 || always) corpus.push(input);
  };
  for (const seed of [...target.seeds.map((x) => Buffer.from(x)), ...(opts.corpus ?? [])]) await tryInput(seed, true);
  if (corpus.length === 0) corpus.push(Buffer.alloc(0));
  const deadline = Date.now() + opts.durationMs;
  while (Date.now() < deadline && (opts.maxRuns === undefined || runs < opts.maxRuns)) {
    if (opts.stopOnCrash && crashes.length) break;
    // Newer entries (the frontier) are picked more often than old ones.
    const pick = corpus[rand(2) ? corpus.length - 1 - rand(Math.min(corpus.length, 16)) : rand(corpus.length)]!;
    await tryInput(mutate(pick, corpus, dictionary, rand, maxLength), false);
  }
  return { runs, corpus, features: seen.size, crashes };
}
