import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Schemas } from './api.ts';

export type Me = Schemas['CurrentUser'];
export type Workspace = Schemas['WorkspaceDetails'];

export interface SignedIn {
  me: Me;
  /** Reads /me again (after a change to the user or their workspaces). */
  reloadMe: () => Promise<void>;
  signOut: () => Promise<void>;
}

export interface InWorkspace {
  workspace: Workspace;
  /** The caller's effective permissions here (`GET /api/v1/permissions/me`). */
  permissions: ReadonlySet<string>;
  role: string | null;
  /** Reads the workspace and the permissions again (after a change that may alter them). */
  reload: () => void;
}

export const SignedInContext = createContext<SignedIn | undefined>(undefined);
export const WorkspaceContext = createContext<InWorkspace | undefined>(undefined);

export function useSignedIn(): SignedIn {
  const value = useContext(SignedInContext);
  if (!value) throw new Error('useSignedIn outside a signed-in screen');
  return value;
}

export function useWorkspace(): InWorkspace {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error('useWorkspace outside a workspace screen');
  return value;
}

/** The session when there is one (screens reachable signed in or not). */
export function useSignedInMaybe(): SignedIn | undefined {
  return useContext(SignedInContext);
}
