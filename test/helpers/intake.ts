import { nirControlKey } from '../../src/domain/validators.ts';

/**
 * Registrations as an agent keys them in or a partner sends them (issue 25 §1): each `n` a
 * different woman born in March 1990 — a NIR consistent with her identity (sex 2, 90-03, a
 * Gironde commune and an order that vary with `n`), a name no seeded person has — with a postal
 * address, so a receipt or a notice can be posted to her.
 */
export function intakeNir(n: number): string {
  const commune = String(100 + (Math.floor(n / 999) % 900));
  const body = `2900333${commune}${String((n % 999) + 1).padStart(3, '0')}`;
  return body + nirControlKey(body);
}

/** A name of letters only, distinct for each `n` (the duplicate check compares names and birth dates). */
export function intakeName(n: number): string {
  let name = '';
  let rest = n;
  for (let i = 0; i < 6; i++) {
    name = String.fromCharCode(97 + (rest % 26)) + name;
    rest = Math.floor(rest / 26);
  }
  return `Intake${name}`;
}

export function intakeRecord(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    identity: {
      lastName: intakeName(n).toUpperCase(),
      firstNames: ['Maëlle'],
      sex: 'F',
      birthDate: '1990-03-14',
      birthPlace: 'Bordeaux (33)',
    },
    nir: intakeNir(n),
    contact: {
      email: `${intakeName(n).toLowerCase()}@exemple.fr`,
      address: {
        line1: `${(n % 90) + 1} rue des Tanneurs`,
        postalCode: '33000',
        communeCode: '33063',
        commune: 'Bordeaux',
      },
    },
    education: [{ title: 'CAP Commerce', level: 3, year: 2008 }],
    experience: [
      { romeCode: 'D1106', title: 'Vendeuse', employer: 'Primeur des Capucins', from: '2015-01-05', to: '2025-06-30' },
    ],
    soughtJobs: ['D1106', 'D1505'],
    availability: { availableFrom: '2026-01-05', workingTime: 'full_time', contract: 'permanent' },
    mobility: { maxDistanceKm: 25, transport: ['public_transport'], drivingLicence: false },
    situation: { kind: 'available' },
    ...extra,
  };
}
