/**
 * Tabs as WAI-ARIA describes them (https://www.w3.org/WAI/ARIA/apg/patterns/tabs/): a tablist of tab
 * buttons, one tabpanel labelled by the selected tab; only the selected tab is in the Tab order, and
 * Left/Right (wrapping), Home and End move to another tab and select it (automatic activation).
 */
import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';

export interface TabDef {
  id: string;
  label: string;
}

export function Tabs({ tabs, selected, onSelect, label, idPrefix, children }: { tabs: TabDef[]; selected: string; onSelect: (id: string) => void; label: string; idPrefix: string; children: ComponentChildren }) {
  const list = useRef<HTMLDivElement>(null);
  const move = (to: number) => {
    const t = tabs[(to + tabs.length) % tabs.length]!;
    onSelect(t.id);
    // Focus follows the selection once the new tab is rendered selected.
    queueMicrotask(() => list.current?.querySelector<HTMLButtonElement>(`#${idPrefix}-tab-${t.id}`)?.focus());
  };
  const at = Math.max(0, tabs.findIndex((t) => t.id === selected));
  return (
    <div>
      <div
        class="tabs"
        role="tablist"
        aria-label={label}
        ref={list}
        onKeyDown={(e) => {
          const keys: Record<string, number> = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 };
          if (!(e.key in keys)) return;
          e.preventDefault();
          move(keys[e.key]!);
        }}
      >
        {tabs.map((t) => (
          <button
            type="button"
            role="tab"
            key={t.id}
            id={`${idPrefix}-tab-${t.id}`}
            aria-selected={t.id === selected}
            aria-controls={`${idPrefix}-panel`}
            tabIndex={t.id === selected ? 0 : -1}
            onClick={() => onSelect(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${idPrefix}-panel`} aria-labelledby={`${idPrefix}-tab-${selected}`} tabIndex={0}>
        {children}
      </div>
    </div>
  );
}
