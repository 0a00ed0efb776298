import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { can, rolesAllowedTo } from '../../../src/policy/abilities.ts';
import { api, ApiError, onContained, onSessionHeld, onSessionLost, setCsrfToken, type Containment } from './api.ts';

export interface StaffProfile {
  organisation: { id: string; name: string; kind: string };
  roles: string[];
  displayName: string;
}

export interface SessionInfo {
  account: { id: string; kind: 'job_seeker' | 'staff' | string; login: string };
  session: {
    id: string;
    createdAt: string;
    lastSeenAt: string;
    expiresAt: string;
    network: string;
    secondFactorAt: string | null;
  };
  awaitsSecondFactor: boolean;
  /** Used from another network than its own: the second factor must be passed again from here. */
  newNetwork: boolean;
  csrfToken: string;
  staff: StaffProfile | null;
}

/** `heldForNewNetwork`: a session exists but waits for the second factor from this network (the sign-in page asks for it). */
type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous'; lost: boolean; heldForNewNetwork?: boolean }
  | { status: 'signed_in'; info: SessionInfo }
  /** The guard suspended the account: said where it happened, in place of the page. */
  | { status: 'contained'; containment: Containment };

interface SessionContextValue {
  state: SessionState;
  /** Read the session again (after signing in, passing a factor, or a reload). */
  refresh(): Promise<SessionInfo | null>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** Who reads the security desk, by the server's own abilities table (the API decides either way). */
export const SECURITY_ROLES: string[] = [...rolesAllowedTo('read', 'desk')];

/** Who sees an organisation's rectification notices (GDPR Art. 19), by the same table. */
export const RECTIFICATION_NOTICE_ROLES: string[] = [...rolesAllowedTo('acknowledge', 'rectification_notices')];
/** Who works the queue of registrations held as possible duplicates (issue 25 §1). */
export const REGISTRATION_REVIEW_ROLES: string[] = [...rolesAllowedTo('review', 'registration_duplicates')];

/** The security officer acts on the desk (release, verify, review); the DPO reads. */
export function actsOnDesk(staff: StaffProfile | null | undefined): boolean {
  return staff ? can({ roles: staff.roles, organisationKind: staff.organisation.kind }, 'act_on', 'desk') : false;
}

/** Where a signed-in person lands: their own space, the staff console, or the security desk. */
export function homeOf(info: SessionInfo): string {
  if (info.account.kind === 'job_seeker') return '/mon-espace';
  if (info.staff?.roles.some((r) => SECURITY_ROLES.includes(r))) return '/bureau';
  return '/console';
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const refresh = useCallback(async () => {
    try {
      const info = await api<SessionInfo>('/api/auth/session', { quiet401: true });
      setCsrfToken(info.csrfToken);
      if (info.awaitsSecondFactor) {
        setState({ status: 'anonymous', lost: false, ...(info.newNetwork ? { heldForNewNetwork: true } : {}) });
        return info;
      }
      setState({ status: 'signed_in', info });
      return info;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      setCsrfToken(null);
      setState({ status: 'anonymous', lost: false });
      return null;
    }
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('/api/auth/logout', { method: 'POST', quiet401: true });
    } finally {
      // What this tab kept for the session (the console's declaration) goes with it.
      try {
        sessionStorage.clear();
      } catch {
        // nothing kept
      }
      setCsrfToken(null);
      setState({ status: 'anonymous', lost: false });
    }
  }, []);

  useEffect(() => {
    void refresh().catch(() => setState({ status: 'anonymous', lost: false }));
    const stopContained = onContained((containment) => {
      setCsrfToken(null);
      setState({ status: 'contained', containment });
    });
    const stopLost = onSessionLost(() => {
      setCsrfToken(null);
      setState({ status: 'anonymous', lost: true });
    });
    // The session (and its anti-forgery token) stays: only the second factor from here lifts the hold.
    const stopHeld = onSessionHeld(() => setState({ status: 'anonymous', lost: false, heldForNewNetwork: true }));
    return () => {
      stopContained();
      stopLost();
      stopHeld();
    };
  }, [refresh]);

  const value = useMemo(() => ({ state, refresh, signOut }), [state, refresh, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in session; only for pages behind `RequireSession`. */
export function useSignedIn(): SessionInfo {
  const { state } = useSession();
  if (state.status !== 'signed_in') throw new Error('useSignedIn without a session');
  return state.info;
}
