// The module itself, not the policy's index: the desk's DPIA form reads these words too (web/src/bureau/Assurance.tsx).

/** The controls of Rempart a DPIA measure can name, with what each one is. */
export const REMPART_CONTROLS = {
  field_encryption: 'Chiffrement de chaque classe de données sous des clés détenues par l’opérateur',
  purpose_bound_access: 'Accès lié à une finalité déclarée, une convention, un rôle et un lien avec la personne',
  ledger: 'Journal chaîné et signé de chaque accès, écrit avant que la donnée ne parte',
  guard: 'Garde : volumes, balayages, dossiers leurres, confinement des comptes',
  second_factor: 'Second facteur obligatoire (TOTP, clé d’accès), renouvelé pour les actions sensibles',
  partner_gate: 'Barrière de sécurité des partenaires : posture, réseaux, audit, attestation',
  guarded_exports: 'Exports à quatre yeux, plafonnés, marqués et tracés',
  break_glass_review: 'Bris de glace justifié, alerté et revu',
  account_administration: 'Administration des comptes à deux personnes et recertification',
  bank_change_controls: 'Changements de coordonnées bancaires retenus, notifiés et contrôlés',
  crypto_shredding: 'Effacement par destruction des clés de la personne',
  backup_restore: 'Sauvegardes chiffrées et restauration vérifiée',
  incident_response: 'Gestion des violations : périmètre, notification à la CNIL et aux personnes',
} as const;
export type RempartControl = keyof typeof REMPART_CONTROLS;
export const CONTROL_IDS = Object.keys(REMPART_CONTROLS) as RempartControl[];

export const MEASURE_STATUSES = ['planned', 'in_progress', 'implemented'] as const;
export const EVIDENCE_KINDS = ['test', 'setting', 'report'] as const;
