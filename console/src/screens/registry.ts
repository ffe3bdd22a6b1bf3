import type { FunctionComponent } from 'preact';

/**
 * A screen inside a workspace (`/w/:workspace/<path>`) or of the tenant (`/tenant/<path>`):
 * its navigation label, and the permission that shows it (the API still decides each call).
 */
export interface ScreenEntry {
  path: string;
  label: () => string;
  /** Held in the workspace (or, for tenant screens, in the tenant) for the screen to be listed. */
  permission?: string;
  component: FunctionComponent<{ params: Record<string, string> }>;
  /** Sub-paths the screen also answers (`items/:item`), not listed in the navigation. */
  subPaths?: readonly string[];
}
