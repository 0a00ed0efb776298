import { FILE_FIELD_LABELS } from '../../../src/domain/file-fields.ts';
import { formatDate, formatNir, formatPhone, romeLabel } from '../app/format.ts';

const VALUE_LABELS: Record<string, Record<string, string>> = {
  sex: { F: 'Féminin', M: 'Masculin' },
  kind: {
    driving_licence: 'Permis de conduire',
    identity_card: 'Carte nationale d’identité',
    passport: 'Passeport',
    residence_permit: 'Titre de séjour',
    sursis_probatoire: 'Sursis probatoire',
    travail_interet_general: 'Travail d’intérêt général',
    controle_judiciaire: 'Contrôle judiciaire',
    placement_exterieur: 'Placement à l’extérieur',
    semi_liberte: 'Semi-liberté',
    // The situation declared at registration (issue 25 §1).
    available: 'Sans emploi, disponible tout de suite',
    reduced_activity: 'Activité réduite',
    training: 'En formation',
    sickness: 'En arrêt maladie',
    other_unavailable: 'Pas disponible tout de suite',
    employed: 'En emploi, à la recherche d’un autre',
  },
  channel: { online: 'En ligne', desk: 'À l’accueil', paper: 'Formulaire papier', import: 'Par un partenaire' },
  workingTime: { full_time: 'Temps plein', part_time: 'Temps partiel', either: 'Temps plein ou partiel' },
  contract: { permanent: 'CDI', fixed_term: 'CDD', temporary: 'Intérim', seasonal: 'Saisonnier', any: 'Tous contrats' },
  transport: {
    car: 'Voiture',
    motorbike: 'Deux-roues motorisé',
    public_transport: 'Transports en commun',
    bike: 'Vélo',
    walk: 'À pied',
  },
  // Words that agree with nobody: the file is a woman's as often as a man's.
  status: { registered: 'Inscription en cours', suspended: 'Inscription suspendue', deregistered: 'Inscription close' },
  orientation: {
    suivi: 'Accompagnement suivi',
    guide: 'Accompagnement guidé',
    renforce: 'Accompagnement renforcé',
    global: 'Accompagnement global',
  },
  allowance: {
    ARE: 'Allocation d’aide au retour à l’emploi (ARE)',
    AER: 'Allocation équivalent retraite (AER)',
    ASS: 'Allocation de solidarité spécifique (ASS)',
    AREF: 'ARE formation (AREF)',
    none: 'Aucune',
  },
  flags: {
    not_looking: 'Ne recherche plus d’emploi',
    training: 'En formation',
    sickness: 'En arrêt maladie',
    parental_leave: 'En congé de maternité ou de paternité',
    retirement: 'À la retraite',
    invalidity: 'En invalidité',
  },
};

const DATE_KEYS = new Set([
  'birthDate',
  'expiresOn',
  'registeredOn',
  'deregisteredOn',
  'from',
  'to',
  'date',
  'since',
  'until',
  'rqthUntil',
]);
const euros = new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' });

function fieldLabel(key: string): string {
  return FILE_FIELD_LABELS[key] ?? key;
}

function scalar(key: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Oui' : 'Non';
  if (typeof value === 'number') return key.endsWith('Cents') ? euros.format(value / 100) : String(value);
  const text = String(value);
  if (DATE_KEYS.has(key)) return formatDate(text);
  // Read aloud or copied onto a form: in groups, as people write them.
  if (key === 'phone') return formatPhone(text);
  if (key === 'nir') return formatNir(text);
  if (key === 'romeCode' || key === 'soughtJobs') return romeLabel(text);
  return VALUE_LABELS[key]?.[text] ?? text;
}

/** A value of the file, however nested: lists as lists, objects as description lists. */
export function FieldValue({ name, value }: { name: string; value: unknown }) {
  if (Array.isArray(value)) {
    if (value.length === 0) return <span>Aucun élément</span>;
    return (
      <ul className="rempart-field-list">
        {value.map((item, i) => (
          <li key={i}>
            <FieldValue name={name} value={item} />
          </li>
        ))}
      </ul>
    );
  }
  if (value && typeof value === 'object') return <Fields value={value as Record<string, unknown>} />;
  return <span>{scalar(name, value)}</span>;
}

export function Fields({ value }: { value: Record<string, unknown> }) {
  return (
    <dl className="rempart-fields">
      {Object.entries(value).map(([key, v]) => (
        <div key={key} className="rempart-fields__row">
          <dt>{fieldLabel(key)}</dt>
          <dd>
            <FieldValue name={key} value={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
