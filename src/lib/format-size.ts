/**
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
