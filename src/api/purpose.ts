import type { FastifyRequest } from 'fastify';
import { isCaseReference } from '../policy/index.ts';

/**
 * Every data request says why it is made and for which case, like API Particulier's
 * `context` and `recipient`: `Rempart-Purpose` (a purpose of the caller's agreement) and
 * `Rempart-Case-Reference` (the caller's own file number for this case).
 */
export const PURPOSE_HEADER = 'rempart-purpose';
export const CASE_REFERENCE_HEADER = 'rempart-case-reference';

const PURPOSE = /^[a-z][a-z0-9_]{1,63}$/;

export interface DeclaredPurpose {
  purpose: string;
  caseReference: string;
}

export type PurposeCheck =
  | { ok: true; declared: DeclaredPurpose }
  | {
      ok: false;
      reason: 'purpose_missing' | 'case_reference_missing';
      issues: Array<{ field: string; rule: string; message: string }>;
    };

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return typeof value === 'string' ? value.trim() : undefined;
}

/** The declared purpose and case reference, or what is missing or malformed (each header named). */
export function declaredPurpose(request: FastifyRequest): PurposeCheck {
  const purpose = header(request, PURPOSE_HEADER);
  const caseReference = header(request, CASE_REFERENCE_HEADER);
  const issues: Array<{ field: string; rule: string; message: string }> = [];
  if (!purpose)
    issues.push({
      field: `headers.${PURPOSE_HEADER}`,
      rule: 'required',
      message: 'finalité de l’accès à déclarer (en-tête Rempart-Purpose)',
    });
  else if (!PURPOSE.test(purpose))
    issues.push({
      field: `headers.${PURPOSE_HEADER}`,
      rule: 'format',
      message: 'finalité mal formée (lettres minuscules, chiffres et « _ »)',
    });
  if (!caseReference)
    issues.push({
      field: `headers.${CASE_REFERENCE_HEADER}`,
      rule: 'required',
      message: 'référence du dossier à déclarer (en-tête Rempart-Case-Reference)',
    });
  else if (!isCaseReference(caseReference))
    issues.push({
      field: `headers.${CASE_REFERENCE_HEADER}`,
      rule: 'format',
      message: 'référence de dossier mal formée (3 à 64 caractères : lettres, chiffres, . _ : / -)',
    });
  if (issues.length === 0) return { ok: true, declared: { purpose: purpose!, caseReference: caseReference! } };
  return {
    ok: false,
    reason: issues[0]!.field.endsWith(PURPOSE_HEADER) ? 'purpose_missing' : 'case_reference_missing',
    issues,
  };
}

/** French messages for each denial reason code: they name the rule, never the person. */
export const DENIAL_MESSAGES: Record<string, string> = {
  purpose_missing: 'Finalité absente ou mal formée : déclarez-la dans l’en-tête Rempart-Purpose.',
  case_reference_missing:
    'Référence de dossier absente ou mal formée : déclarez-la dans l’en-tête Rempart-Case-Reference.',
  purpose_unknown: 'Finalité inconnue : elle ne figure dans aucune convention de votre organisation.',
  actor_inactive: 'Votre compte d’agent n’est pas actif.',
  actor_other_organisation: 'Vous n’agissez pas pour cette organisation.',
  organisation_suspended: 'Votre organisation est suspendue : aucun accès.',
  agreement_expired: 'La convention de votre organisation pour cette finalité n’est pas en vigueur.',
  role_not_allowed: 'Votre rôle ne permet pas cette finalité.',
  posture_non_compliant:
    'Votre organisation ne remplit pas les exigences de sécurité (audit, second facteur, réseaux, contact sécurité, convention, analyse d’impact mise en œuvre, socle de sécurité attesté) : accès suspendu.',
  person_out_of_scope: 'Accès refusé : ce dossier n’est pas dans votre périmètre pour cette finalité.',
  condition_not_met: 'Accès refusé : ce dossier n’est pas dans votre périmètre pour cette finalité.',
  operation_not_granted: 'Cette opération n’est pas prévue par la convention pour cette finalité.',
  field_class_not_granted: 'Classe de données non couverte par la convention pour cette finalité.',
  processing_restricted:
    'Le traitement de ces données est limité à la demande de la personne (RGPD art. 18) : elles ne sont plus consultées ni modifiées jusqu’à la levée de la limitation.',
};
