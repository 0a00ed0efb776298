/**
 * Why a change waits for an agent's verification, and why a person's bank details are held.
 * The codes are stored and recorded; the labels are what the person and the agent read.
 */
export const HOLD_REASONS = {
  shared_iban: 'Ce compte bancaire figure déjà sur le dossier d’une autre personne, sans lien connu avec vous.',
  recent_password_reset: 'Le mot de passe de votre compte a été réinitialisé ou changé récemment.',
  new_device: 'La demande vient d’un appareil utilisé pour la première fois récemment sur votre compte.',
  new_factor: 'Un second facteur (application, clé d’accès) a été ajouté récemment à votre compte.',
  recent_exposure:
    'Votre dossier fait partie de ceux consultés par un compte compromis : vos données ont pu être exposées.',
  hold_in_force:
    'Vos coordonnées bancaires sont placées sous surveillance : toute modification est vérifiée par un agent.',
  recent_contact_change:
    'Vos coordonnées (courriel, téléphone ou adresse) ont été modifiées récemment : un agent d’une autre équipe doit vous joindre par un moyen connu avant ce changement avant que la modification ne prenne effet.',
  // Holds placed by people or by the system
  counsellor_concern:
    'Votre conseiller a demandé une vérification avant toute modification de vos coordonnées bancaires.',
  not_me:
    'Vous avez signalé une modification que vous n’aviez pas demandée : toute nouvelle modification est vérifiée par un agent.',
  incident_exposure:
    'Vos données ont été exposées lors d’un incident de sécurité : toute modification est vérifiée par un agent.',
  guard_exposure:
    'Votre dossier a été consulté par un compte suspendu pour usage anormal : toute modification est vérifiée par un agent.',
} as const;

export type HoldReason = keyof typeof HOLD_REASONS;

export function isHoldReason(code: string): code is HoldReason {
  return Object.hasOwn(HOLD_REASONS, code);
}

export function reasonLabel(code: string): string {
  return isHoldReason(code) ? HOLD_REASONS[code] : code;
}

export const CHANGE_STATUS_LABELS = {
  cooling_off: 'En attente du délai de sécurité',
  awaiting_verification: 'En attente de vérification par un agent',
  frozen: 'Bloquée (« ce n’est pas moi »)',
  rejected: 'Refusée après vérification',
  effective: 'En vigueur',
} as const;

/** How an agent received the person's request: it must be documented, never a phone call alone. */
export const AGENT_REQUEST_KINDS = {
  courrier: 'courrier signé avec RIB',
  accueil: 'en agence, pièce d’identité présentée',
  espace_personnel: 'pièce déposée dans l’espace personnel',
} as const;

export type AgentRequestKind = keyof typeof AGENT_REQUEST_KINDS;

/**
 * How an agent reached the person before releasing a change held for a recent contact change:
 * never through the new contact, which may be the thief's.
 */
export const REACH_METHODS = {
  accueil_piece_identite: 'personne reçue en agence, pièce d’identité vérifiée',
  telephone_connu_avant: 'appel au numéro de téléphone connu avant le changement de coordonnées',
  courrier_adresse_connue: 'réponse au courrier envoyé à l’adresse postale connue avant le changement',
} as const;

export type ReachMethod = keyof typeof REACH_METHODS;
