import { actsOnDesk, useSignedIn } from '../app/session.tsx';

/** The security officer acts (release, verify, review); the DPO reads. The API decides either way. */
export function useIsSecurityOfficer(): boolean {
  return actsOnDesk(useSignedIn().staff);
}
