import type { ComponentChildren } from 'preact';
import { Table } from './components.tsx';
import './scroll-table.css';

/**
 * A table that may be wider than a phone: it scrolls sideways inside a named region that takes
 * the keyboard's focus, so the columns out of sight can be reached without a mouse even when
 * no cell holds a link or a button (axe's scrollable-region-focusable).
 */
export function ScrollTable(props: { caption: string; headers: readonly string[]; empty: boolean; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={props.caption} tabIndex={0}>
      <Table {...props} />
    </div>
  );
}
