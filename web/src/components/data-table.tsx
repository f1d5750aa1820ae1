/**
 * A table with what assistive technology needs: a caption naming it, column headers with scope, and
 * an empty state in words instead of an empty grid.
 */
import type { ComponentChildren } from 'preact';

export interface Column<T> {
  header: string;
  /** Visually hidden header (e.g. an actions column): still read out. */
  hidden?: boolean;
  cell: (row: T) => ComponentChildren;
  class?: string;
}

export function DataTable<T>({ caption, columns, rows, rowKey, empty, rowAttrs }: {
  caption: string;
  columns: Array<Column<T>>;
  rows: T[] | undefined;
  rowKey: (row: T) => string;
  /** What to say when there are no rows. */
  empty: string;
  rowAttrs?: (row: T) => Record<string, string>;
}) {
  return (
    <div class="table-wrap">
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.header} class={c.hidden ? 'visually-hidden-header' : undefined}>
                {c.hidden ? <span class="visually-hidden">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows === undefined ? (
            <tr><td colSpan={columns.length} class="muted">Loading…</td></tr>
          ) : rows.length === 0 ? (
            <tr><td colSpan={columns.length} class="empty">{empty}</td></tr>
          ) : (
            rows.map((r) => (
              <tr key={rowKey(r)} {...(rowAttrs?.(r) ?? {})}>
                {columns.map((c) => <td key={c.header} class={c.class}>{c.cell(r)}</td>)}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
