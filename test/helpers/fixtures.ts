import type { PersonFile } from '../../src/domain/person.ts';
import { nirControlKey } from '../../src/domain/validators.ts';

/** A NIR consistent with the identity below: woman born in March 1990 in Bordeaux (33063). */
export function nirFor(order: number, sex: '1' | '2' = '2', yymm = '9003'): string {
  const body = `${sex}${yymm}33063${String(order).padStart(3, '0')}`;
  return body + nirControlKey(body);
}

/** A complete file touching every field class, with values easy to search for in raw bytes. */
export function samplePerson(order = 1): PersonFile {
  return {
    identity: {
      lastName: `MARCHAND${order}`,
      firstNames: ['Élodie'],
      sex: 'F',
      birthDate: '1990-03-14',
      birthPlace: 'Bordeaux (33)',
    },
    nir: { nir: nirFor(order) },
    contact: {
      email: `elodie.marchand${order}@demo.rempart.example`,
      phone: '+33639980123',
      address: { line1: '12 rue Sainte-Catherine', postalCode: '33000', communeCode: '33063', commune: 'Bordeaux' },
    },
    id_document: { kind: 'driving_licence', number: '130533102345' },
    registration: {
      franceTravailId: `${String(1234500 + order).padStart(7, '0')}K`,
      category: 'A',
      registeredOn: '2025-09-01',
      status: 'registered',
    },
    career: {
      experiences: [{ romeCode: 'M1607', title: 'Secrétariat', from: '2019-01-01', to: '2025-06-30' }],
      diplomas: [{ title: 'BTS', level: 5, year: 2011 }],
      soughtJobs: ['M1607'],
    },
    follow_up: { orientation: 'guide', appointments: [{ date: '2025-10-02', kind: 'entretien' }], actions: [] },
    benefits: {
      allowance: 'ARE',
      dailyAmountCents: 4523,
      since: '2025-09-08',
      payments: [{ date: '2025-10-31', amountCents: 135690 }],
    },
    bank: { iban: 'FR1420041010050500013M02606', bic: 'PSSTFRPPBOR', holder: 'ELODIE MARCHAND' },
    health: { rqth: true, rqthUntil: '2028-01-01', restrictions: ['Port de charges limité'] },
    judicial: { measures: [{ kind: 'sursis_probatoire', since: '2025-01-10', authority: 'SPIP de la Gironde' }] },
  };
}
