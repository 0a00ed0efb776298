import type { FastifyRequest } from 'fastify';
import { DESK_DOWNLOAD_DAILY_CEILING, DESK_DOWNLOAD_PROFILE, type Admission } from '../../guard/index.ts';
import { networkOf, staffMemberOf } from '../../identity/index.ts';
import type { Runtime } from '../../runtime/index.ts';
import type { Executor } from '../../store/index.ts';

/**
 * The guard on what the security desk downloads that names persons (an incident's document, a
 * letter to print): the downloader's actor counted under the desk's own profile
 * (`DESK_DOWNLOAD_PROFILE`: its hourly and daily budgets, containment), whatever their roles — a
 * stolen desk account empties no list of names and addresses.
 */
export function deskDownloadGate(runtime: Runtime, request: FastifyRequest, purpose: string) {
  return async (personIds: readonly string[], record?: (trx: Executor) => Promise<void>): Promise<Admission> => {
    const member = await staffMemberOf(runtime.database.db, request.account!.id);
    if (!member) throw new Error('a desk download needs a staff member');
    return runtime.guard.admit(
      {
        actor: {
          id: member.actorId,
          organisationId: member.organisationId,
          accountId: member.accountId,
          roles: [DESK_DOWNLOAD_PROFILE],
          ...(request.session
            ? { session: { publicId: request.session.public_id, network: request.session.network } }
            : {}),
        },
        network: networkOf(request.ip),
        purpose,
        dailyCeiling: DESK_DOWNLOAD_DAILY_CEILING,
        followUpExpected: false,
        personIds: [...personIds],
      },
      record,
    );
  };
}
