/**
 * Reference data for synthetic persons of a département: Gironde (33). The guard's decoys and
 * canaries are drawn from it, and so is the demo's population (`src/seed`).
 */

export interface Commune {
  name: string;
  inseeCode: string;
  postalCode: string;
  /** Index of the demo network's agency site that serves it (the seed's AGENCY_SITES). */
  agency: number;
}

export const COMMUNES: readonly Commune[] = [
  { name: 'Bordeaux', inseeCode: '33063', postalCode: '33000', agency: 0 },
  { name: 'Cenon', inseeCode: '33119', postalCode: '33150', agency: 0 },
  { name: 'Lormont', inseeCode: '33249', postalCode: '33310', agency: 0 },
  { name: 'Floirac', inseeCode: '33167', postalCode: '33270', agency: 0 },
  { name: 'Bègles', inseeCode: '33039', postalCode: '33130', agency: 0 },
  { name: 'Le Bouscat', inseeCode: '33069', postalCode: '33110', agency: 0 },
  { name: 'Bruges', inseeCode: '33075', postalCode: '33520', agency: 0 },
  { name: 'Mérignac', inseeCode: '33281', postalCode: '33700', agency: 1 },
  { name: 'Pessac', inseeCode: '33318', postalCode: '33600', agency: 1 },
  { name: 'Talence', inseeCode: '33522', postalCode: '33400', agency: 1 },
  { name: 'Gradignan', inseeCode: '33192', postalCode: '33170', agency: 1 },
  { name: "Villenave-d'Ornon", inseeCode: '33550', postalCode: '33140', agency: 1 },
  { name: 'Eysines', inseeCode: '33162', postalCode: '33320', agency: 1 },
  { name: 'Saint-Médard-en-Jalles', inseeCode: '33449', postalCode: '33160', agency: 1 },
  { name: 'Blanquefort', inseeCode: '33056', postalCode: '33290', agency: 1 },
  { name: 'La Teste-de-Buch', inseeCode: '33529', postalCode: '33260', agency: 1 },
  { name: 'Arcachon', inseeCode: '33009', postalCode: '33120', agency: 1 },
  { name: 'Libourne', inseeCode: '33243', postalCode: '33500', agency: 2 },
  { name: 'Langon', inseeCode: '33227', postalCode: '33210', agency: 2 },
  { name: 'Lesparre-Médoc', inseeCode: '33240', postalCode: '33340', agency: 2 },
];

/** Birth places outside Gironde: department code and a label; 99 = born abroad (INSEE country code). */
export const OTHER_BIRTH_DEPARTMENTS: ReadonlyArray<{ code: string; label: string }> = [
  { code: '75', label: 'Paris' },
  { code: '13', label: 'Bouches-du-Rhône' },
  { code: '59', label: 'Nord' },
  { code: '69', label: 'Rhône' },
  { code: '31', label: 'Haute-Garonne' },
  { code: '24', label: 'Dordogne' },
  { code: '40', label: 'Landes' },
  { code: '47', label: 'Lot-et-Garonne' },
  { code: '64', label: 'Pyrénées-Atlantiques' },
  { code: '17', label: 'Charente-Maritime' },
  { code: '2A', label: 'Corse-du-Sud' },
  { code: '2B', label: 'Haute-Corse' },
  { code: '971', label: 'Guadeloupe' },
  { code: '972', label: 'Martinique' },
  { code: '974', label: 'La Réunion' },
];

export const BIRTH_COUNTRIES: ReadonlyArray<{ code: string; label: string }> = [
  { code: '350', label: 'Maroc' },
  { code: '352', label: 'Algérie' },
  { code: '351', label: 'Tunisie' },
  { code: '139', label: 'Portugal' },
  { code: '134', label: 'Espagne' },
  { code: '127', label: 'Italie' },
  { code: '341', label: 'Sénégal' },
  { code: '208', label: 'Turquie' },
  { code: '109', label: 'Allemagne' },
  { code: '131', label: 'Belgique' },
  { code: '132', label: 'Royaume-Uni' },
  { code: '114', label: 'Roumanie' },
  { code: '122', label: 'Pologne' },
  { code: '326', label: "Côte d'Ivoire" },
  { code: '322', label: 'Cameroun' },
  { code: '335', label: 'Mali' },
];

/** French bank codes and BICs of real networks; account numbers are synthetic. */
export const BANKS: ReadonlyArray<{ bankCode: string; bic: string }> = [
  { bankCode: '30004', bic: 'BNPAFRPPXXX' },
  { bankCode: '30003', bic: 'SOGEFRPPXXX' },
  { bankCode: '20041', bic: 'PSSTFRPPBOR' },
  { bankCode: '10278', bic: 'CMCIFR2AXXX' },
  { bankCode: '13335', bic: 'CEPAFRPP333' },
  { bankCode: '13306', bic: 'AGRIFRPP833' },
];

export const ROME_JOBS: ReadonlyArray<{ code: string; title: string }> = [
  { code: 'D1106', title: 'Vente en alimentation' },
  { code: 'D1214', title: 'Vente en habillement et accessoires de la personne' },
  { code: 'D1505', title: 'Personnel de caisse' },
  { code: 'G1603', title: 'Personnel polyvalent en restauration' },
  { code: 'G1803', title: 'Service en restauration' },
  { code: 'K1302', title: "Assistance auprès d'adultes" },
  { code: 'K1303', title: "Assistance auprès d'enfants" },
  { code: 'K2204', title: 'Nettoyage de locaux' },
  { code: 'M1203', title: 'Comptabilité' },
  { code: 'M1607', title: 'Secrétariat' },
  { code: 'M1805', title: 'Études et développement informatique' },
  { code: 'N1103', title: 'Magasinage et préparation de commandes' },
  { code: 'N4101', title: 'Conduite de transport de marchandises sur longue distance' },
  { code: 'N4105', title: 'Conduite et livraison par tournées sur courte distance' },
  { code: 'A1203', title: 'Aménagement et entretien des espaces verts' },
  { code: 'F1602', title: 'Électricité bâtiment' },
  { code: 'F1703', title: 'Maçonnerie' },
  { code: 'J1501', title: "Soins d'hygiène, de confort du patient" },
];

export const DIPLOMAS: ReadonlyArray<{ title: string; level: number }> = [
  { title: "CAP (certificat d'aptitude professionnelle)", level: 3 },
  { title: 'Baccalauréat professionnel', level: 4 },
  { title: 'Baccalauréat général', level: 4 },
  { title: 'BTS (brevet de technicien supérieur)', level: 5 },
  { title: 'Licence', level: 6 },
  { title: 'Master', level: 7 },
];

export const EMPLOYERS = [
  'Boulangerie du Port',
  'Transports Garonne',
  'Clinique des Chartrons',
  'Supermarché Atlantique',
  'Mairie de quartier',
  'Atelier Médoc Bois',
  'Hôtel des Quais',
  'Nettoyage Aquitain',
];
