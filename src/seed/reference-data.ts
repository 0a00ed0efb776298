/**
 * The demo network's agency sites, in the order the communes of the synthetic département name
 * them (`Commune.agency` in the guard's reference data, which the population is drawn from).
 */
export const AGENCY_SITES = ['Bordeaux Bastide', 'Mérignac', 'Libourne'] as const;
