/**
 * Sizes for people, both ways: formatting bytes and parsing what a person types ("10GiB", "500MB").
 *
 * Formats bytes for people, in binary units ("9.5 GiB", "120 GiB"): CLI output and quota messages alike.
 * `roundUp` never shows less than the value (for "free at least …", where rounding down would mislead).
 */
export function formatSize(bytes: number, opts: { roundUp?: boolean } = {}): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${bytes} B`;
  const digits = v >= 100 ? 0 : 1;
  const scale = 10 ** digits;
  const shown = opts.roundUp ? Math.ceil(v * scale - 1e-9) / scale : Math.round(v * scale) / scale;
  return `${shown.toFixed(digits)} ${units[i]}`;
}

const UNITS: Record<string, number> = {
  '': 1, B: 1,
  K: 1024, KI: 1024, KIB: 1024, KB: 1e3,
  M: 1024 ** 2, MI: 1024 ** 2, MIB: 1024 ** 2, MB: 1e6,
  G: 1024 ** 3, GI: 1024 ** 3, GIB: 1024 ** 3, GB: 1e9,
  T: 1024 ** 4, TI: 1024 ** 4, TIB: 1024 ** 4, TB: 1e12,
  P: 1024 ** 5, PI: 1024 ** 5, PIB: 1024 ** 5, PB: 1e15,
};

/**
 * Parses a size: a byte count, or a number with a unit. `KB/MB/GB/TB/PB` are decimal (SI), `KiB…PiB`
 * and the bare letters `K/M/G/T/P` binary (as df, rclone and s3cmd read them). `unlimited`/`none` = null.
 * A leaf helper (the CLI and the admin services both read sizes); a bad size is a RangeError.
 */
export function parseSize(text: string | number): number | null {
  if (typeof text === 'number') {
    if (!Number.isSafeInteger(text) || text < 0) throw new RangeError(`size ${text} is not a whole number of bytes`);
    return text;
  }
  const s = text.trim();
  if (/^(unlimited|none)$/i.test(s)) return null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(s);
  const unit = m ? UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || unit === undefined) throw new RangeError(`size "${text}" is not a size such as 500MB, 10GiB, 1T or a byte count`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`size "${text}" is too large`);
  return bytes;
}
