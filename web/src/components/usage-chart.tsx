/**
 * An SVG line chart of one quantity over time with the quota as a horizontal line: no chart library, no
 * inline styles (the CSP forbids them; colours come from classes). `role="img"` with a title and a
 * description that says the same in words; the table next to it is the full text alternative.
 */
import { isoDateTime } from '../lib/format.js';

/** The smallest 1, 2 or 5 × 10^k at or above n: round axis labels. */
function niceCeil(n: number): number {
  const p = 10 ** Math.floor(Math.log10(n));
  return ([1, 2, 5, 10].find((m) => m * p >= n) ?? 10) * p;
}

const CHART_W = 640;
const CHART_H = 220;
const PAD = { left: 72, right: 16, top: 14, bottom: 34 };

export function UsageChart({ id, label, points, quota, format }: {
  id: string;
  label: string;
  points: Array<{ t: number; v: number }>;
  quota: number | null;
  format: (v: number) => string;
}) {
  const t0 = points.length ? points[0]!.t : Date.now();
  const t1 = points.length ? points[points.length - 1]!.t : t0;
  const span = Math.max(1, t1 - t0);
  const top = niceCeil(Math.max(1, quota ?? 0, ...points.map((p) => p.v)) * 1.05);
  const w = CHART_W - PAD.left - PAD.right;
  const h = CHART_H - PAD.top - PAD.bottom;
  // A single point sits in the middle rather than on the axis.
  const x = (t: number) => PAD.left + (points.length > 1 ? ((t - t0) / span) * w : w / 2);
  const y = (v: number) => PAD.top + h - (v / top) * h;
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  const ticks = [0, 0.5, 1].map((f) => f * top);
  const date = (t: number) => isoDateTime(t);
  const desc = last
    ? `${points.length} point${points.length === 1 ? '' : 's'} from ${date(t0)} to ${date(t1)}; now ${format(last.v)}; highest ${format(Math.max(...points.map((p) => p.v)))}; quota ${quota === null ? 'none' : format(quota)}.`
    : 'No samples yet.';
  return (
    <figure class="chart">
      <svg
        viewBox={`0 0 ${CHART_W} ${CHART_H}`}
        role="img"
        aria-labelledby={`${id}-title ${id}-desc`}
        data-testid={`${id}-chart`}
        data-points={points.length}
      >
        <title id={`${id}-title`}>{label} over time</title>
        <desc id={`${id}-desc`}>{desc}</desc>
        <g class="axis" aria-hidden="true">
          <line x1={PAD.left} y1={PAD.top + h} x2={PAD.left + w} y2={PAD.top + h} />
          <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + h} />
          {ticks.map((v) => (
            <text key={v} x={PAD.left - 6} y={y(v) + 4} text-anchor="end">{format(v)}</text>
          ))}
          {points.length > 0 && <text x={PAD.left} y={CHART_H - 10} text-anchor="start">{date(t0)}</text>}
          {points.length > 1 && <text x={PAD.left + w} y={CHART_H - 10} text-anchor="end">{date(t1)}</text>}
        </g>
        {quota !== null && (
          <g class="quota" data-testid={`${id}-quota-line`}>
            <line x1={PAD.left} y1={y(quota)} x2={PAD.left + w} y2={y(quota)} />
            <text x={PAD.left + w} y={y(quota) - 4} text-anchor="end">quota {format(quota)}</text>
          </g>
        )}
        {points.length > 1 && <path class="series" d={path} />}
        {points.length <= 120
          ? points.map((p) => <circle key={p.t} class="point" cx={x(p.t)} cy={y(p.v)} r={3} />)
          : last && <circle class="point" cx={x(last.t)} cy={y(last.v)} r={3} />}
      </svg>
      <figcaption>{label}: {desc}</figcaption>
    </figure>
  );
}

