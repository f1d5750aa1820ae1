/** How the portal writes sizes and times: binary units; ISO 8601 dates in UTC (never the browser's locale). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** 2030-01-31 */
export function isoDate(t: string | number | Date | null | undefined, none = '—'): string {
  if (t === null || t === undefined) return none;
  return new Date(t).toISOString().slice(0, 10);
}

/** 2030-01-31 14:05 UTC */
export function isoDateTime(t: string | number | Date | null | undefined, none = '—'): string {
  if (t === null || t === undefined) return none;
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

export const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
