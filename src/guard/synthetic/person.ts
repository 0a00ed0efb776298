import { composeIBAN } from 'ibantools';
import { nirControlKey, type PersonFile } from '../../domain/index.ts';
import {
  BANKS,
  BIRTH_COUNTRIES,
  COMMUNES,
  DIPLOMAS,
  EMPLOYERS,
  OTHER_BIRTH_DEPARTMENTS,
  ROME_JOBS,
} from './reference-data.ts';

/**
 * Where a synthetic person's randomness comes from: a seeded generator for the demo's population
 * (the same seed gives the same people), the system's for the guard's canaries.
 */
export interface Draw {
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  /** A number in [0, 1). */
  unit(): number;
  lastName(): string;
  firstName(sex: 'male' | 'female'): string;
  /** Number and street, as on an envelope. */
  streetAddress(): string;
}

/** A synthetic person's file, with what the demo network ties it by: its age and the agency site of its commune. */
export interface SyntheticFile {
  file: PersonFile;
  age: number;
  agency: number;
}

/** Ages and dates are computed from a fixed day, not the clock: the same seed gives the same people. */
const REFERENCE_DAY = Date.UTC(2026, 0, 15);
const DAY = 86_400_000;

/**
 * NIR and France Travail ids must be unique. The birth-order number, the commune part and the
 * sex digit are drawn from the person's index (not at random), which makes them injective for
 * up to NIR_CAPACITY persons per seed whatever the random birth date and department.
 */
export const NIR_CAPACITY = 2 * 990 * 999;

/** INSEE month codes for a birth month not known at registration (20–42, 50–99). */
const UNKNOWN_MONTH_CODES: readonly string[] = [
  ...Array.from({ length: 23 }, (_, i) => String(20 + i)),
  ...Array.from({ length: 50 }, (_, i) => String(50 + i)),
];

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function ribKey(bank: string, branch: string, account: string): string {
  const n = (89n * BigInt(bank) + 15n * BigInt(branch) + 3n * BigInt(account)) % 97n;
  return pad(97 - Number(n), 2);
}

/** A French IBAN with a valid RIB key and check digits (5-digit bank and branch codes, 11-digit account). */
export function frenchIban(bankCode: string, branch: string, account: string): string {
  return composeIBAN({
    countryCode: 'FR',
    bban: `${bankCode}${branch}${account}${ribKey(bankCode, branch, account)}`,
  })!;
}

function stripAccents(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z-]/g, '')
    .toLowerCase();
}

function pick<T>(draw: Draw, items: readonly T[]): T {
  return items[draw.int(0, items.length - 1)]!;
}

function chance(draw: Draw, p: number): boolean {
  return draw.unit() < p;
}

/**
 * A plausible file of nobody, in every field class: French names, a commune of the département,
 * a career, benefits and bank details for some, health and judicial data for a few. The NIR and
 * the France Travail id are drawn from the index, unique among the indexes of one seed.
 */
export function syntheticPerson(draw: Draw, seed: number, index: number): SyntheticFile {
  const sex = index % 2 === 0 ? 'M' : 'F';
  const age = draw.int(16, 64);
  const birthMs = REFERENCE_DAY - age * 365.25 * DAY - draw.int(0, 364) * DAY;
  const birthDate = isoDay(birthMs);
  const commune = pick(draw, COMMUNES);
  const lastName = draw.lastName();
  const firstName = draw.firstName(sex === 'M' ? 'male' : 'female');
  const secondName = chance(draw, 0.4) ? [draw.firstName(sex === 'M' ? 'male' : 'female')] : [];

  // q and order together are injective in the index; each branch spends q on fields that
  // keep NIRs of that branch apart (commune part, or country and INSEE unknown-month code).
  const slot = Math.floor(index / 2) % (990 * 999);
  const order = pad((slot % 999) + 1, 3);
  const q = Math.floor(slot / 999);
  let monthField = birthDate.slice(5, 7);
  let department: string;
  let placePart: string;
  let birthPlace: string;
  const origin = draw.unit();
  if (origin < 0.55) {
    department = '33';
    placePart = pad(q + 1, 3);
    birthPlace = `${commune.name} (33)`;
  } else if (origin < 0.9) {
    const other = pick(draw, OTHER_BIRTH_DEPARTMENTS);
    department = other.code;
    if (other.code.length === 3) {
      // Overseas departments leave 2 digits to the commune: the month code carries the rest.
      placePart = pad((q % 99) + 1, 2);
      monthField = UNKNOWN_MONTH_CODES[Math.floor(q / 99) % UNKNOWN_MONTH_CODES.length]!;
    } else {
      placePart = pad(q + 1, 3);
    }
    birthPlace = other.label;
  } else {
    const country = BIRTH_COUNTRIES[q % BIRTH_COUNTRIES.length]!;
    department = '99';
    placePart = country.code;
    monthField = UNKNOWN_MONTH_CODES[Math.floor(q / BIRTH_COUNTRIES.length) % UNKNOWN_MONTH_CODES.length]!;
    birthPlace = country.label;
  }
  const body = `${sex === 'M' ? '1' : '2'}${birthDate.slice(2, 4)}${monthField}${department}${placePart}${order}`;
  const nir = body + nirControlKey(body);

  const email = `${stripAccents(firstName)}.${stripAccents(lastName)}.${index}@demo.rempart.example`;
  // 06 39 98 xx xx is reserved by ARCEP for fiction: no real person gets these calls.
  const phone = `+3363998${pad(draw.int(0, 9999), 4)}`;

  const registeredMs = REFERENCE_DAY - draw.int(10, 1000) * DAY;
  const franceTravailId = `${pad((index + seed * 7919) % 10_000_000, 7)}${String.fromCharCode(65 + (index % 26))}`;
  const job = pick(draw, ROME_JOBS);
  const experiences = Array.from({ length: age < 20 ? 0 : draw.int(1, 3) }, (_, k) => {
    const from = registeredMs - (k + 1) * draw.int(200, 900) * DAY;
    const exp = pick(draw, ROME_JOBS);
    return {
      romeCode: exp.code,
      title: exp.title,
      employer: pick(draw, EMPLOYERS),
      from: isoDay(from),
      to: isoDay(from + draw.int(60, 180) * DAY),
    };
  });
  const diploma = pick(draw, DIPLOMAS);

  const file: PersonFile = {
    identity: { lastName: lastName.toUpperCase(), firstNames: [firstName, ...secondName], sex, birthDate, birthPlace },
    nir: { nir },
    contact: {
      email,
      phone,
      address: {
        line1: draw.streetAddress(),
        postalCode: commune.postalCode,
        communeCode: commune.inseeCode,
        commune: commune.name,
      },
    },
    registration: {
      franceTravailId,
      category: pick(draw, ['A', 'A', 'A', 'A', 'B', 'C', 'D', 'E'] as const),
      registeredOn: isoDay(registeredMs),
      status: chance(draw, 0.92) ? 'registered' : 'suspended',
    },
    career: {
      experiences,
      diplomas:
        age >= 18
          ? [{ title: diploma.title, level: diploma.level, year: 2026 - age + 18 + Math.min(diploma.level - 3, 5) }]
          : [],
      soughtJobs: [job.code],
    },
    follow_up: {
      orientation: pick(draw, ['suivi', 'guide', 'renforce', 'global'] as const),
      appointments: Array.from({ length: draw.int(0, 3) }, (_, k) => ({
        date: isoDay(REFERENCE_DAY - (k * 30 + 5) * DAY),
        kind: 'entretien',
      })),
      actions: [],
    },
  };
  if (chance(draw, 0.7))
    file.id_document = {
      kind: 'driving_licence',
      number: pad(draw.int(0, 999_999), 6) + pad(index % 1_000_000, 6),
    };
  if (chance(draw, 0.55)) {
    const paymentDay = REFERENCE_DAY - 10 * DAY;
    const daily = draw.int(3000, 9500);
    file.benefits = {
      allowance: 'ARE',
      dailyAmountCents: daily,
      since: isoDay(registeredMs + 7 * DAY),
      payments: [0, 1, 2].map((m) => ({ date: isoDay(paymentDay - m * 30 * DAY), amountCents: daily * 30 })),
    };
    const bank = pick(draw, BANKS);
    const branch = pad(draw.int(1, 99_999), 5);
    const account = pad(draw.int(0, 99_999_999), 8) + pad(index % 1000, 3);
    file.bank = {
      iban: frenchIban(bank.bankCode, branch, account),
      bic: bank.bic,
      holder: `${firstName} ${lastName}`.toUpperCase(),
    };
  } else {
    file.benefits = { allowance: 'none', payments: [] };
  }
  const rqth = chance(draw, 0.08);
  if (rqth)
    file.health = {
      rqth: true,
      rqthUntil: isoDay(REFERENCE_DAY + draw.int(100, 1500) * DAY),
      restrictions: chance(draw, 0.5) ? ['Port de charges limité'] : [],
    };
  if (chance(draw, 0.02))
    file.judicial = {
      measures: [
        {
          kind: pick(draw, ['sursis_probatoire', 'travail_interet_general', 'controle_judiciaire'] as const),
          since: isoDay(REFERENCE_DAY - 200 * DAY),
          authority: 'SPIP de la Gironde',
        },
      ],
    };

  return { file, age, agency: commune.agency };
}
