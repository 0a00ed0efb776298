/**
 * The labels of the ROME codes (Répertoire opérationnel des métiers et des emplois, France
 * Travail's public nomenclature) that the application meets: the jobs of the synthetic
 * population (src/guard/synthetic/reference-data.ts, a test keeps the two together). A code
 * not listed here is shown as the code alone, never guessed.
 */
export const ROME_LABELS: Readonly<Record<string, string>> = {
  A1203: 'Aménagement et entretien des espaces verts',
  D1106: 'Vente en alimentation',
  D1214: 'Vente en habillement et accessoires de la personne',
  D1505: 'Personnel de caisse',
  F1602: 'Électricité bâtiment',
  F1703: 'Maçonnerie',
  G1603: 'Personnel polyvalent en restauration',
  G1803: 'Service en restauration',
  J1501: 'Soins d’hygiène, de confort du patient',
  K1302: 'Assistance auprès d’adultes',
  K1303: 'Assistance auprès d’enfants',
  K2204: 'Nettoyage de locaux',
  M1203: 'Comptabilité',
  M1607: 'Secrétariat',
  M1805: 'Études et développement informatique',
  N1103: 'Magasinage et préparation de commandes',
  N4101: 'Conduite de transport de marchandises sur longue distance',
  N4105: 'Conduite et livraison par tournées sur courte distance',
};

/** « K2204 — Nettoyage de locaux »; an unknown code as it is. */
export function romeLabel(code: string): string {
  const label = ROME_LABELS[code];
  return label ? `${code} — ${label}` : code;
}
