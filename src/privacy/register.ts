import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { stringify } from 'csv-stringify/sync';
import { ConflictError, FIELD_CLASS_LABELS_FR, isPlatform, NotFoundError, type FieldClass } from '../domain/index.ts';
import { appendEvent } from '../ledger/index.ts';
import {
  allAgreementsInForce,
  ATTESTATION_VALIDITY_DAYS,
  latestAttestations,
  listDpias,
  parsePosture,
  REMPART_CONTROLS,
  type Agreement,
  type PurposeRule,
} from '../policy/index.ts';
import { inTransaction, isUniqueViolation, type Executor, type RegisterVersionsTable } from '../store/index.ts';

/**
 * The record of processing activities (GDPR Art. 30), generated from the agreements in force.
 *
 * Granularity: one entry per processing, a processing being an agreement purpose grouped across
 * the agreements that declare it (the three agencies' `accompagnement` is one processing, not
 * three). Art. 30 records processing activities, each defined by its purpose; the same purpose
 * run by several organisations under the same rules is one activity with several recipients or
 * joint controllers, and one DPIA may cover similar operations (Art. 35(1)). Each entry names
 * the agreements (reference and version) it comes from.
 *
 * France Travail is the controller; its own organisations (agencies, regional direction) are
 * its services; a partner under a network agreement is a joint controller (Art. 26, the
 * agreement being the arrangement); a subcontractor is a processor (Art. 28) with its own
 * Art. 30(2) record. Versions are kept: each distinct register (hash of its canonical JSON)
 * is stored and recorded in the ledger, at each agreement import and whenever a read finds the
 * register changed (a posture, an attestation, dates).
 */

export const REGISTER_FORMAT = 'rempart.register/v1';

export const CONTROLLER = {
  name: 'France Travail',
  address: '1 avenue du Docteur Gley, 75020 Paris',
  representative: 'Directeur général de France Travail',
} as const;

/** No Rempart data leaves the EU: hosting, backups and every recipient are in France. */
export const NO_TRANSFER_OUTSIDE_EU =
  'Aucun transfert hors de l’Union européenne : hébergement, sauvegardes et destinataires en France ; clés de chiffrement détenues par France Travail seul.';

/** The minimum age a mission locale serves (Code du travail, art. L. 5314-2: young people from 16). */
const YOUTH_MIN_AGE = 16;

/**
 * The columns of the CSV export: one line per processing, the headings of the CNIL's register
 * model in its order — « Modèle de registre simplifié », `registre-traitement-simplifie.ods`
 * (CNIL, July 2019), tab « 2 - Liste des traitements » (Nom du traitement, N° / RÉF, Date de
 * création de la fiche, Dernière mise à jour de la fiche) then tab « 3 - Modèle de fiche de
 * registre »: Acteurs (Responsable du traitement, Délégué à la protection des données,
 * Représentant, Responsable(s) conjoint(s)), Finalité(s) du traitement effectué (Finalité
 * principale, Sous-finalités), Catégories de données personnelles concernées (each with its
 * « Durée de conservation »), Données sensibles, Catégories de personnes concernées,
 * Destinataires, Mesures de sécurité, Transferts hors UE.
 *
 * Source (checked without the CNIL's site, December 2026): public reproductions of the .ods's
 * headings found in public repositories (a PHP register page and a Symfony admin form that copy
 * the fiche block by block, in this order), and a research note that quotes the .ods's
 * `content.xml` label by label (AmauryTISSOT/microservice_rgpd, issue 123: the data-category
 * rows, the NIR row, the nine « Données sensibles » rows). The older PDF model
 * (`registre_rgpd_basique.pdf`, also on scribd) puts « Mesures de sécurité » right after the
 * purposes; the .ods, the newer, puts it after the recipients: we follow the .ods. Not in the
 * model: `Base légale` (Art. 30 does not ask for it; the issue does), after `Sous-finalités`;
 * and the recipients are split as the older model lists them (internal services, external
 * bodies, processors) where the .ods has one « Destinataires » block typed row by row.
 */
export const CNIL_REGISTER_COLUMNS = [
  'Nom du traitement',
  'N° / RÉF',
  'Date de création de la fiche',
  'Dernière mise à jour de la fiche',
  'Responsable du traitement',
  'Délégué à la protection des données',
  'Représentant',
  'Responsable(s) conjoint(s)',
  'Finalité principale',
  'Sous-finalités',
  'Base légale',
  'Catégories de données personnelles concernées',
  'Durée de conservation',
  'Données sensibles',
  'Catégories de personnes concernées',
  'Destinataires internes',
  'Organismes externes',
  'Sous-traitants',
  'Mesures de sécurité',
  'Transferts hors UE',
] as const;

/** The « Représentant » of the model is the EU representative of a controller established outside the Union (Art. 27). */
const NO_REPRESENTATIVE = 'Sans objet : responsable du traitement établi dans l’Union européenne (RGPD art. 27)';

/**
 * The NIR (numéro d'inscription au répertoire, the social security number) is not an Art. 9
 * category but an identifier national law regulates (GDPR Art. 87): its use is reserved to the
 * controllers and purposes a decree lists (loi n° 78-17 « Informatique et Libertés », art. 30;
 * décret n° 2019-341 du 19 avril 2019, the « décret-cadre NIR »). The CNIL's model gives it a row
 * of its own among the data categories, beside the sensitive data rather than among them.
 */
export const NIR_REFERENCE =
  'Loi n° 78-17 du 6 janvier 1978, art. 30 ; décret n° 2019-341 du 19 avril 2019 (« décret-cadre NIR ») ; RGPD art. 87';

export interface AgreementRef {
  organisationId: string;
  organisation: string;
  kind: string;
  reference: string;
  version: number;
}

export interface RegisterEntry {
  id: string;
  name: string;
  agreements: AgreementRef[];
  controller: { name: string; address: string; dpo: string[] };
  jointControllers: Array<AgreementRef & { arrangement: string; dpoContact: string }>;
  processors: Array<AgreementRef & { contract: string }>;
  purposes: string[];
  legalBases: string[];
  personCategories: string[];
  dataCategories: Array<{
    class: FieldClass;
    label: string;
    read: boolean;
    write: boolean;
    /** Art. 9 (health), Art. 10 (judicial), or `nir`: the regulated national identifier (NIR_REFERENCE). */
    special: 'art9' | 'art10' | 'nir' | null;
  }>;
  specialCategories: Array<{ class: FieldClass; article: 'RGPD art. 9' | 'RGPD art. 10' }>;
  /** Identifiers whose use national law regulates: the NIR, with its references. */
  regulatedIdentifiers: Array<{ class: FieldClass; reference: string }>;
  recipients: Array<{ organisation: string; kind: string; role: 'service' | 'joint_controller' | 'processor' }>;
  transfers: { outsideEu: false; statement: string };
  retention: Array<{ organisation: string; reference: string; days: number; text: string; rules?: unknown }>;
  security: {
    platform: Array<{ control: string; label: string }>;
    organisations: Array<{
      organisation: string;
      secondFactor: string;
      lastAudit: string | null;
      networksDeclared: number;
      baselineAttestedAt: string | null;
    }>;
  };
}

/** GDPR Art. 30(2): what a processor keeps for the processing it does on the controller's behalf. */
export interface ProcessorRecord {
  processor: { organisationId: string; name: string; dpoContact: string };
  controller: string;
  contract: string;
  processings: Array<{ id: string; name: string }>;
  transfers: { outsideEu: false; statement: string };
  security: string[];
}

export interface RegisterDocument {
  format: typeof REGISTER_FORMAT;
  controller: typeof CONTROLLER & { dpo: string[] };
  processings: RegisterEntry[];
  processorRecords: ProcessorRecord[];
}

export interface RegisterVersion {
  version: number;
  hash: string;
  cause: string;
  createdAt: string;
  document: RegisterDocument;
}

const SPECIAL: Partial<Record<FieldClass, 'art9' | 'art10'>> = { health: 'art9', judicial: 'art10' };
const SPECIAL_ARTICLE = { art9: 'RGPD art. 9', art10: 'RGPD art. 10' } as const;
/** The regulated identifiers among the classes, and what regulates them. */
const REGULATED: Partial<Record<FieldClass, string>> = { nir: NIR_REFERENCE };

/** The controls every processing runs under, whatever the organisation (Rempart's own). */
const PLATFORM_CONTROLS = [
  'field_encryption',
  'purpose_bound_access',
  'ledger',
  'guard',
  'second_factor',
  'partner_gate',
] as const;

const uniq = <T>(values: Iterable<T>): T[] => [...new Set(values)];

/** Who the persons are, read from the purposes' conditions, classes and relationships. */
function personCategories(rules: readonly PurposeRule[]): string[] {
  const out = ['Demandeurs d’emploi inscrits à France Travail'];
  for (const rule of rules) {
    const classes = new Set([...rule.read, ...rule.write]);
    if (rule.conditions?.maxAge !== undefined) out.push(`Jeunes de ${YOUTH_MIN_AGE} à ${rule.conditions.maxAge} ans`);
    if (classes.has('health')) out.push('Personnes en situation de handicap (RQTH, restrictions)');
    if (classes.has('judicial')) out.push('Personnes placées sous main de justice');
    if (classes.has('benefits') || classes.has('bank')) out.push('Bénéficiaires d’allocations');
    if (rule.relationship === 'referral') out.push('Personnes orientées vers l’organisme par France Travail');
    if (rule.relationship === 'verified_caller')
      out.push('Usagers qui appellent le service et ont prouvé leur identité');
    if (rule.relationship === 'held_bank_change') out.push('Personnes dont un changement de RIB est retenu');
    if (rule.relationship === 'employment')
      out.push('Anciens salariés pour lesquels l’employeur transmet une attestation de fin de contrat');
    if (rule.relationship === 'mandate')
      out.push('Personnes qui ont donné mandat à un aidant France Services pour une démarche');
  }
  return uniq(out);
}

function retentionText(days: number): string {
  if (days % 365 === 0) return `${days / 365} an${days === 365 ? '' : 's'} (${days} jours)`;
  return `${days} jours`;
}

/**
 * The register as of `now`, from the agreements in force, the organisations' postures and
 * attestations. Nothing time-dependent but what those say: the same data, the same register.
 */
export async function generateRegister(db: Executor, now: Date): Promise<RegisterDocument> {
  const agreements = await allAgreementsInForce(db, now);
  const organisations = new Map(
    (await db.selectFrom('organisations').select(['id', 'name', 'kind', 'security_posture']).execute()).map((o) => [
      o.id,
      o,
    ]),
  );
  const attestations = await latestAttestations(db);
  const controllerDpo = uniq(
    agreements.filter((a) => isPlatform(organisations.get(a.organisationId)?.kind ?? '')).map((a) => a.dpoContact),
  ).sort();

  const byProcessing = new Map<string, Array<{ agreement: Agreement; rule: PurposeRule }>>();
  for (const agreement of agreements)
    for (const rule of agreement.purposes) {
      const list = byProcessing.get(rule.purpose) ?? [];
      list.push({ agreement, rule });
      byProcessing.set(rule.purpose, list);
    }

  const refOf = (a: Agreement): AgreementRef => {
    const o = organisations.get(a.organisationId);
    return {
      organisationId: a.organisationId,
      organisation: o?.name ?? a.organisationId,
      kind: o?.kind ?? 'unknown',
      reference: a.reference,
      version: a.version,
    };
  };

  const processings: RegisterEntry[] = [...byProcessing.keys()].sort().map((id) => {
    const uses = byProcessing.get(id)!;
    const rules = uses.map((u) => u.rule);
    const refs = uses.map((u) => refOf(u.agreement));
    const classes = uniq(rules.flatMap((r) => [...r.read, ...r.write]));
    const ordered = (Object.keys(FIELD_CLASS_LABELS_FR) as FieldClass[]).filter((c) => classes.includes(c));
    const seenOrganisations = new Set<string>();
    const recipients: RegisterEntry['recipients'] = [];
    for (const ref of refs) {
      if (seenOrganisations.has(ref.organisationId)) continue;
      seenOrganisations.add(ref.organisationId);
      recipients.push({
        organisation: ref.organisation,
        kind: ref.kind,
        role: isPlatform(ref.kind) ? 'service' : ref.kind === 'subcontractor' ? 'processor' : 'joint_controller',
      });
    }
    return {
      id,
      name: rules[0]!.label,
      agreements: refs,
      controller: { name: CONTROLLER.name, address: CONTROLLER.address, dpo: controllerDpo },
      jointControllers: uses
        .filter((u) => {
          const kind = organisations.get(u.agreement.organisationId)?.kind ?? '';
          return !isPlatform(kind) && kind !== 'subcontractor';
        })
        .map((u) => ({
          ...refOf(u.agreement),
          arrangement: `Accord de responsabilité conjointe (RGPD art. 26) : convention ${u.agreement.reference} version ${u.agreement.version}`,
          dpoContact: u.agreement.dpoContact,
        })),
      processors: uses
        .filter((u) => organisations.get(u.agreement.organisationId)?.kind === 'subcontractor')
        .map((u) => ({
          ...refOf(u.agreement),
          contract: `Contrat de sous-traitance (RGPD art. 28) : ${u.agreement.reference} version ${u.agreement.version}`,
        })),
      purposes: uniq(rules.map((r) => r.label)),
      legalBases: uniq(uses.map((u) => u.agreement.legalBasis)),
      personCategories: personCategories(rules),
      dataCategories: ordered.map((c) => ({
        class: c,
        label: FIELD_CLASS_LABELS_FR[c],
        read: rules.some((r) => r.read.includes(c)),
        write: rules.some((r) => r.write.includes(c)),
        special: SPECIAL[c] ?? (REGULATED[c] ? 'nir' : null),
      })),
      specialCategories: ordered
        .filter((c) => SPECIAL[c])
        .map((c) => ({ class: c, article: SPECIAL_ARTICLE[SPECIAL[c]!] })),
      regulatedIdentifiers: ordered.filter((c) => REGULATED[c]).map((c) => ({ class: c, reference: REGULATED[c]! })),
      recipients,
      transfers: { outsideEu: false, statement: NO_TRANSFER_OUTSIDE_EU },
      retention: uses.map((u) => {
        // Retention rules another part of the format may add (issue 24 §3): used when present.
        const rules = (u.rule as PurposeRule & { retention?: unknown }).retention;
        return {
          organisation: refOf(u.agreement).organisation,
          reference: u.agreement.reference,
          days: u.rule.retentionDays,
          text: retentionText(u.rule.retentionDays),
          ...(rules !== undefined ? { rules } : {}),
        };
      }),
      security: {
        platform: PLATFORM_CONTROLS.map((c) => ({ control: c, label: REMPART_CONTROLS[c] })),
        organisations: [...seenOrganisations].map((orgId) => {
          const o = organisations.get(orgId);
          const posture = parsePosture(o?.security_posture ?? '');
          return {
            organisation: o?.name ?? orgId,
            secondFactor:
              posture.mfa === 'required' ? (posture.passkeyOnly ? 'clé d’accès seule' : 'obligatoire') : 'facultatif',
            lastAudit: posture.lastAudit,
            networksDeclared: posture.networks.length,
            baselineAttestedAt: attestations.get(orgId) ?? null,
          };
        }),
      },
    };
  });

  const processorIds = uniq(
    agreements
      .filter((a) => organisations.get(a.organisationId)?.kind === 'subcontractor')
      .map((a) => a.organisationId),
  );
  const processorRecords: ProcessorRecord[] = processorIds.map((orgId) => {
    const own = agreements.filter((a) => a.organisationId === orgId);
    return {
      processor: {
        organisationId: orgId,
        name: organisations.get(orgId)?.name ?? orgId,
        dpoContact: own[0]!.dpoContact,
      },
      controller: CONTROLLER.name,
      contract: own.map((a) => `${a.reference} version ${a.version}`).join(', '),
      processings: uniq(own.flatMap((a) => a.purposes.map((p) => p.purpose)))
        .sort()
        .map((id) => ({ id, name: byProcessing.get(id)![0]!.rule.label })),
      transfers: { outsideEu: false, statement: NO_TRANSFER_OUTSIDE_EU },
      security: PLATFORM_CONTROLS.map((c) => REMPART_CONTROLS[c]),
    };
  });

  return {
    format: REGISTER_FORMAT,
    controller: { ...CONTROLLER, dpo: controllerDpo },
    processings,
    processorRecords,
  };
}

export function registerHash(document: RegisterDocument): string {
  return createHash('sha256')
    .update(canonicalize(document) ?? '')
    .digest('hex');
}

function versionOf(row: RegisterVersionsTable): RegisterVersion {
  return {
    version: Number(row.version),
    hash: row.hash,
    cause: row.cause,
    createdAt: row.created_at,
    document: JSON.parse(row.document) as RegisterDocument,
  };
}

/**
 * Generate the register and, when it differs from the latest version stored, store it as the
 * next version with a `register_versioned` event, in the caller's transaction when it has one.
 */
export async function regenerateRegister(
  db: Executor,
  cause: string,
  options: { now?: Date; accountId?: string | null } = {},
): Promise<RegisterVersion & { changed: boolean }> {
  const now = options.now ?? new Date();
  const work = async (trx: Executor) => {
    const document = await generateRegister(trx, now);
    const hash = registerHash(document);
    const latest = await trx.selectFrom('register_versions').selectAll().orderBy('version', 'desc').executeTakeFirst();
    if (latest && latest.hash === hash) return { ...versionOf(latest), changed: false };
    const row: RegisterVersionsTable = {
      version: Number(latest?.version ?? 0) + 1,
      hash,
      document: JSON.stringify(document),
      cause,
      created_at: now.toISOString(),
    };
    await trx.insertInto('register_versions').values(row).execute();
    await appendEvent(trx, 'register_versioned', {
      accountId: options.accountId ?? null,
      details: { version: row.version, hash, cause, processings: document.processings.length },
    });
    return { ...versionOf(row), changed: true };
  };
  if (db.isTransaction) return work(db);
  try {
    return await inTransaction(db, work);
  } catch (error) {
    // Two readers storing the same next version at once: the other one's is the register.
    if (!isUniqueViolation(error)) throw error;
    const again = await inTransaction(db, work).catch((e: unknown) => {
      if (isUniqueViolation(e))
        throw new ConflictError('le registre vient d’être régénéré par ailleurs', 'register_version_taken');
      throw e;
    });
    return again;
  }
}

/** A stored version, or 404 naming it. */
export async function registerVersion(db: Executor, version: number): Promise<RegisterVersion> {
  const row = await db.selectFrom('register_versions').selectAll().where('version', '=', version).executeTakeFirst();
  if (!row) throw new NotFoundError(`Version ${version} du registre`);
  return versionOf(row);
}

export async function registerVersions(
  db: Executor,
): Promise<Array<{ version: number; hash: string; cause: string; createdAt: string; processings: number }>> {
  const rows = await db.selectFrom('register_versions').selectAll().orderBy('version', 'desc').execute();
  return rows.map((r) => {
    const v = versionOf(r);
    return {
      version: v.version,
      hash: v.hash,
      cause: v.cause,
      createdAt: v.createdAt,
      processings: v.document.processings.length,
    };
  });
}

/** One processing of a register version, or 404 naming the processing. */
export function processingOf(document: RegisterDocument, id: string): RegisterEntry {
  const entry = document.processings.find((p) => p.id === id);
  if (!entry) throw new NotFoundError(`Traitement « ${id} »`);
  return entry;
}

/** The register (or some of its processings) as CSV, one line per processing, in CNIL_REGISTER_COLUMNS. */
export function registerCsv(
  version: Pick<RegisterVersion, 'createdAt' | 'document'>,
  entries: readonly RegisterEntry[],
  created: ReadonlyMap<string, string>,
): string {
  const list = (values: readonly string[]) => values.join(' ; ');
  // Older stored versions have no `regulatedIdentifiers`: read from the class then.
  const regulated = (e: RegisterEntry, c: FieldClass) =>
    (e.regulatedIdentifiers ?? []).find((r) => r.class === c)?.reference ?? REGULATED[c];
  const rows = entries.map((e) => [
    e.name,
    e.id,
    (created.get(e.id) ?? version.createdAt).slice(0, 10),
    version.createdAt.slice(0, 10),
    `${e.controller.name}, ${e.controller.address}`,
    list(e.controller.dpo),
    NO_REPRESENTATIVE,
    list(e.jointControllers.map((j) => `${j.organisation} (${j.arrangement} ; DPO ${j.dpoContact})`)),
    e.purposes[0] ?? '',
    list(e.purposes.slice(1)),
    list(e.legalBases),
    list(
      e.dataCategories.map((d) => {
        const uses = [d.read ? 'lecture' : '', d.write ? 'écriture' : ''].filter(Boolean).join(', ');
        const reference = regulated(e, d.class);
        return `${d.label} (${uses})${reference ? ` — identifiant encadré : ${reference}` : ''}`;
      }),
    ),
    list(e.retention.map((r) => `${r.organisation} : ${r.text}`)),
    e.specialCategories.length === 0
      ? 'Non'
      : `Oui : ${list(e.specialCategories.map((s) => `${FIELD_CLASS_LABELS_FR[s.class]} (${s.article})`))}`,
    list(e.personCategories),
    list(e.recipients.filter((r) => r.role === 'service').map((r) => r.organisation)),
    list(e.recipients.filter((r) => r.role === 'joint_controller').map((r) => r.organisation)),
    list(e.processors.map((p) => `${p.organisation} (${p.contract})`)),
    list([
      ...e.security.platform.map((c) => c.label),
      ...e.security.organisations.map(
        (o) =>
          `${o.organisation} : second facteur ${o.secondFactor}, audit ${o.lastAudit ?? 'aucun'}, socle attesté ${o.baselineAttestedAt ? o.baselineAttestedAt.slice(0, 10) : 'non'} (valable ${ATTESTATION_VALIDITY_DAYS} jours)`,
      ),
    ]),
    e.transfers.statement,
  ]);
  return stringify([[...CNIL_REGISTER_COLUMNS], ...rows], { bom: true, record_delimiter: '\r\n' });
}

/** When each processing first appeared in the stored versions (« date de création de la fiche »). */
export async function processingsCreatedAt(db: Executor): Promise<Map<string, string>> {
  const rows = await db.selectFrom('register_versions').select(['document', 'created_at']).orderBy('version').execute();
  const out = new Map<string, string>();
  for (const row of rows)
    for (const p of (JSON.parse(row.document) as RegisterDocument).processings)
      if (!out.has(p.id)) out.set(p.id, row.created_at);
  return out;
}

/** The DPIA status beside each processing (the desk's page shows both). */
export async function dpiaStatusByProcessing(
  db: Executor,
): Promise<Map<string, { version: number; complete: boolean; pending: string[] }>> {
  return new Map(
    (await listDpias(db)).map((d) => [d.processing, { version: d.version, complete: d.complete, pending: d.pending }]),
  );
}
