import { defineCatalogue } from '../../core/catalogue.ts';

/**
 * Workspace groups: an admin workspace acting for its sub workspaces. Its permission exists
 * (roles may grant it) before its routes do.
 */
export const groupsCatalogue = defineCatalogue({
  area: 'groups',
  permissions: {
    'groups:manage': { description: 'Invite and remove sub workspaces', grantedTo: ['admin'] },
  },
  messages: {
    en: {},
    es: {},
  },
});

declare module '../../core/catalogue.ts' {
  interface Areas {
    groups: typeof groupsCatalogue;
  }
}
