import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';
import { hrefOf, navigate } from '../router.ts';
import './route-tabs.css';

export interface RouteTab {
  /** Unique on the page: names the tab's element. */
  id: string;
  label: string;
  /** The console path the tab shows (`/w/3/settings/workspace-group`). */
  path: string;
}

/**
 * Tabs whose choice is the address (WAI-ARIA tabs, activated as focus moves): each tab is a
 * link (a new browser tab opens it), the arrow keys, Home and End move between them, and the
 * panel holds what the selected one shows.
 */
export function RouteTabs(props: { id: string; label: string; tabs: readonly RouteTab[]; selected: string; children: ComponentChildren }) {
  const elements = useRef(new Map<string, HTMLAnchorElement>());
  const panelId = `${props.id}-panel`;
  const tabId = (tab: string) => `${props.id}-tab-${tab}`;

  const select = (tab: RouteTab, focus: boolean) => {
    if (focus) elements.current.get(tab.id)?.focus();
    if (tab.id !== props.selected) navigate(tab.path);
  };

  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const last = props.tabs.length - 1;
    const target: Record<string, number> = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last };
    const next = props.tabs[target[event.key] ?? -1];
    if (!next) return;
    event.preventDefault();
    select(next, true);
  };

  return (
    <>
      <div role="tablist" aria-label={props.label} class="tabs route-tabs">
        {props.tabs.map((tab, index) => {
          const selected = tab.id === props.selected;
          return (
            <a
              key={tab.id}
              ref={(element) => {
                if (element) elements.current.set(tab.id, element);
                else elements.current.delete(tab.id);
              }}
              role="tab"
              id={tabId(tab.id)}
              href={hrefOf(tab.path)}
              aria-selected={selected ? 'true' : 'false'}
              aria-controls={panelId}
              tabIndex={selected ? 0 : -1}
              onClick={(event) => {
                if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
                event.preventDefault();
                select(tab, false);
              }}
              onKeyDown={(event) => onKeyDown(event, index)}
            >
              {tab.label}
            </a>
          );
        })}
      </div>
      <div role="tabpanel" id={panelId} aria-labelledby={tabId(props.selected)} tabIndex={0} class="route-tab-panel">
        {props.children}
      </div>
    </>
  );
}
