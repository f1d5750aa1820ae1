/**
 * Usage against a quota: a meter whose level (ok, warning, critical, full) is said in words and with a
 * symbol next to it, never by its colour alone. Its width is set through the CSSOM (the CSP allows no
 * inline style attribute).
 */
import { useEffect, useRef } from 'preact/hooks';
import type * as C from '../../../src/admin/contract.js';
import { formatBytes } from '../lib/format.js';

const LEVEL_WORDS: Record<C.QuotaLevel, { icon: string; words: string }> = {
  ok: { icon: '✓', words: 'OK' },
  warning: { icon: '!', words: 'warning' },
  critical: { icon: '!!', words: 'critical' },
  full: { icon: '✕', words: 'full' },
};

export function UsageBar({ usage, quota, status }: { usage: C.Usage; quota: C.QuotaInfo | { bytes: number | null; objects: number | null }; status: C.QuotaStatus }) {
  const pct = status.percent === null ? 0 : Math.min(100, status.percent);
  const barRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (barRef.current) barRef.current.style.width = `${pct}%`;
  }, [pct]);
  const level = LEVEL_WORDS[status.level];
  const text = `${formatBytes(usage.bytes)} of ${formatBytes(quota.bytes)}, ${usage.objects} objects${quota.objects !== null ? ` of ${quota.objects}` : ''}`;
  return (
    <div class="usage-bar">
      <div class={`usage ${status.level}`} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="Quota used" aria-valuetext={`${status.percent ?? 0}% used (${level.words})`} data-level={status.level}>
        <div ref={barRef} />
      </div>
      <small class={`level-${status.level}`} data-testid="usage-text">
        {status.percent !== null ? (
          <>
            <span class="level-badge" aria-hidden="true">{level.icon}</span> <strong>{level.words}</strong>: {text} — {status.percent.toFixed(1)}%
          </>
        ) : (
          <>{text} — no quota</>
        )}
      </small>
    </div>
  );
}
