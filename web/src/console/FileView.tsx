import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { api, ApiError } from '../app/api.ts';
import { classLabel, formatDateTime, FIELD_CLASS_ORDER, ofName } from '../app/format.ts';
import { ErrorNotice, PageTitle, SuccessNotice, useAction } from '../app/ui.tsx';
import {
  classList,
  classesNotReadable,
  declarationHeaders,
  purposeLabel,
  useConsole,
  type Declaration,
  type OpenedFile,
} from './context.tsx';
import { BreakGlass } from './BreakGlass.tsx';
import { DeclarationFields } from './DeclarationFields.tsx';
import { FieldValue } from '../app/fields.tsx';

interface FollowUp {
  orientation?: string;
  appointments: Array<{ date: string; kind: string; note?: string }>;
  actions: Array<{ date: string; kind: string; label: string }>;
}

interface StaffFile {
  id: string;
  status: 'active' | 'erased';
  fields: Record<string, unknown> & { follow_up?: FollowUp; identity?: { lastName: string; firstNames: string[] } };
  decision: {
    purpose: string;
    caseReference: string;
    agreement: { reference: string; version: number };
    classes: string[];
    breakGlass?: string;
    restricted?: string[];
  };
}

/** Reasons for which break-glass may be asked: the file is outside the agent's scope, nothing else. */
const OUT_OF_SCOPE = new Set(['person_out_of_scope', 'condition_not_met']);

/** « Dossier »: the person's id comes through the history state, never through the address. */
export function FileView() {
  const location = useLocation();
  const opened = (location.state ?? null) as OpenedFile | null;
  if (!opened?.personId) {
    return (
      <>
        <PageTitle title="Dossier">Dossier</PageTitle>
        <p>Aucun dossier n’est ouvert. Choisissez-en un dans votre portefeuille ou retrouvez-le par la recherche.</p>
        <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
          <li>
            <Link className="fr-btn fr-btn--secondary" to="/console">
              Mon portefeuille
            </Link>
          </li>
          <li>
            <Link className="fr-btn fr-btn--secondary" to="/console/recherche">
              Rechercher un dossier
            </Link>
          </li>
        </ul>
      </>
    );
  }
  return <OpenFile key={opened.personId} opened={opened} />;
}

function OpenFile({ opened }: { opened: OpenedFile }) {
  const { profile, setDeclaration } = useConsole();
  const [draft, setDraft] = useState<Declaration>(opened.declaration);
  const [file, setFile] = useState<{ data: StaffFile; declaration: Declaration } | null>(null);
  const [refusal, setRefusal] = useState<{ error: ApiError; declaration: Declaration } | null>(null);
  const [breakGlassUntil, setBreakGlassUntil] = useState<string | null>(null);

  const read = async (declaration: Declaration) => {
    setRefusal(null);
    setFile(null);
    try {
      const data = await api<StaffFile>(`/api/staff/persons/${encodeURIComponent(opened.personId)}`, {
        headers: declarationHeaders(declaration),
      });
      setFile({ data, declaration });
    } catch (error) {
      if (error instanceof ApiError && error.status === 403) setRefusal({ error, declaration });
      else throw error;
    }
  };
  const open = useAction(async (event: FormEvent) => {
    event.preventDefault();
    setDeclaration(draft);
    await read(draft);
  });
  /** The file read again once break-glass is granted; a failure other than a refusal is shown, not lost. */
  const reread = useAction(read);

  const identity = file?.data.fields.identity;
  return (
    <>
      <PageTitle title="Dossier">
        {identity ? `Dossier ${ofName(`${identity.firstNames[0] ?? ''} ${identity.lastName}`)}` : 'Dossier'}
      </PageTitle>
      <form onSubmit={(event) => void open.run(event)} className="fr-mb-4w">
        <p>
          Vérifiez la finalité et la référence avant d’ouvrir : l’ouverture est inscrite au journal que la personne peut
          lire.
        </p>
        <DeclarationFields purposes={profile.purposes} value={draft} onChange={setDraft} />
        <Button type="submit" disabled={open.busy} iconId="fr-icon-folder-2-line">
          Ouvrir le dossier
        </Button>
      </form>
      <ErrorNotice error={open.error ?? reread.error} title="Ouverture impossible" />
      {refusal ? (
        <>
          <Alert
            severity="error"
            small={false}
            title="Accès refusé"
            description={refusal.error.message}
            className="fr-mb-3w"
            role="alert"
          />
          {OUT_OF_SCOPE.has(refusal.error.code) &&
          profile.purposes.find((p) => p.purpose === refusal.declaration.purpose)?.breakGlass ? (
            <BreakGlass
              target={{ personId: opened.personId }}
              declaration={refusal.declaration}
              onGranted={(expiresAt) => {
                setBreakGlassUntil(expiresAt);
                void reread.run(refusal.declaration);
              }}
            />
          ) : null}
        </>
      ) : null}
      <SuccessNotice
        message={
          file && breakGlassUntil
            ? `Accès exceptionnel accordé jusqu’à ${formatDateTime(breakGlassUntil)}, en lecture seule. Le responsable de la sécurité en est informé.`
            : null
        }
      />
      {file ? (
        <FileContent
          file={file.data}
          declaration={file.declaration}
          onFollowUp={(followUp) =>
            setFile({ ...file, data: { ...file.data, fields: { ...file.data.fields, follow_up: followUp } } })
          }
        />
      ) : null}
      <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left fr-mt-4w">
        <li>
          <Link className="fr-btn fr-btn--tertiary" to="/console">
            Retour au portefeuille
          </Link>
        </li>
        <li>
          <Link className="fr-btn fr-btn--tertiary" to="/console/recherche">
            Rechercher un autre dossier
          </Link>
        </li>
      </ul>
    </>
  );
}

function FileContent({
  file,
  declaration,
  onFollowUp,
}: {
  file: StaffFile;
  declaration: Declaration;
  onFollowUp(followUp: FollowUp): void;
}) {
  const { profile } = useConsole();
  const label = purposeLabel(profile, declaration.purpose);
  const rule = profile.purposes.find((p) => p.purpose === declaration.purpose);
  // What this purpose never gives, and what it gives but the decision did not name (none, normally).
  const unavailable = classesNotReadable(file.decision.classes);
  const permitted = FIELD_CLASS_ORDER.filter((c) => file.decision.classes.includes(c));
  return (
    <section aria-labelledby="file-title">
      <h2 id="file-title" className="fr-h3">
        Contenu du dossier
      </h2>
      <p>
        Finalité : <strong>{label}</strong> — référence : <strong>{declaration.caseReference}</strong> — convention{' '}
        {file.decision.agreement.reference} (version {file.decision.agreement.version})
      </p>
      {file.decision.breakGlass ? (
        <Alert
          severity="warning"
          small
          description="Accès exceptionnel en cours : lecture seule, examiné par le responsable de la sécurité."
          className="fr-mb-3w"
        />
      ) : null}
      {file.decision.restricted?.length ? (
        <Alert
          severity="warning"
          small
          description={`Traitement limité à la demande de la personne (RGPD art. 18) : ${file.decision.restricted.map((c) => classLabel(c)).join(', ')} ne sont ni consultables ni modifiables jusqu’à la levée de la limitation.`}
          className="fr-mb-3w"
        />
      ) : null}
      {file.status === 'erased' ? (
        <Alert
          severity="info"
          small
          description="Ce dossier a été effacé : il ne contient plus aucune donnée."
          className="fr-mb-3w"
        />
      ) : null}
      <Alert
        severity="info"
        small={false}
        title="Données non accessibles"
        description={
          unavailable.length
            ? `Non accessibles pour la finalité « ${label} » : ${classList(unavailable)}.`
            : 'Toutes les classes de données sont accessibles pour cette finalité.'
        }
        className="fr-mb-3w"
      />
      {permitted.map((c) => (
        <section key={c} aria-labelledby={`class-${c}`} className="fr-mb-3w">
          <h3 id={`class-${c}`} className="fr-h5">
            {classLabel(c)}
          </h3>
          {file.fields[c] === undefined || file.fields[c] === null ? (
            <p className="fr-text--sm">Non renseigné.</p>
          ) : (
            <FieldValue name={c} value={file.fields[c]} />
          )}
        </section>
      ))}
      <RecordAction
        file={file}
        declaration={declaration}
        canRead={file.decision.classes.includes('follow_up')}
        canWrite={!file.decision.breakGlass && (rule?.write.includes('follow_up') ?? false)}
        onRecorded={onFollowUp}
      />
    </section>
  );
}

const ACTION_KINDS = [
  'Entretien',
  'Atelier',
  'Prescription de formation',
  'Mise en relation avec un employeur',
  'Orientation vers un partenaire',
  'Autre',
];

function today(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
}

/**
 * « Enregistrer une action »: the server appends it to the follow-up class in one transaction
 * (`POST …/follow-up/actions`), so an action another agent records at the same moment is kept.
 * The page then shows it under the follow-up it already displays, when the purpose reads it.
 */
function RecordAction({
  file,
  declaration,
  canRead,
  canWrite,
  onRecorded,
}: {
  file: StaffFile;
  declaration: Declaration;
  canRead: boolean;
  canWrite: boolean;
  onRecorded(followUp: FollowUp): void;
}) {
  const { profile } = useConsole();
  const [date, setDate] = useState(today);
  const [kind, setKind] = useState(ACTION_KINDS[0]!);
  const [label, setLabel] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const record = useAction(async (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    const action = { date, kind, label: label.trim() };
    await api(`/api/staff/persons/${encodeURIComponent(file.id)}/follow-up/actions`, {
      method: 'POST',
      body: action,
      headers: declarationHeaders(declaration),
    });
    if (canRead) {
      const current: FollowUp = file.fields.follow_up ?? { appointments: [], actions: [] };
      onRecorded({ ...current, actions: [...current.actions, action] });
    }
    setLabel('');
    setDone('Action enregistrée dans le dossier.');
  });
  const label_ = purposeLabel(profile, declaration.purpose);
  return (
    <section aria-labelledby="record-title" className="fr-mt-4w">
      <h2 id="record-title" className="fr-h4">
        Enregistrer une action
      </h2>
      {file.status === 'erased' ? (
        <p>Ce dossier est effacé : aucune action ne peut y être enregistrée.</p>
      ) : file.decision.breakGlass ? (
        <Alert
          severity="info"
          small
          description="Un accès exceptionnel est en lecture seule : aucune action ne peut être enregistrée dans ce dossier."
        />
      ) : !canWrite ? (
        <Alert
          severity="info"
          small
          description={`Aucune action ne peut être enregistrée sous la finalité « ${label_} » : elle ne permet pas de modifier le suivi et l’accompagnement.`}
        />
      ) : (
        <form onSubmit={(event) => void record.run(event)}>
          <SuccessNotice message={done} />
          <ErrorNotice error={record.error} title="Action non enregistrée" />
          <Input
            label="Date de l’action"
            nativeInputProps={{
              type: 'date',
              name: 'actionDate',
              required: true,
              value: date,
              onChange: (e) => setDate(e.target.value),
            }}
          />
          <Select
            label="Type d’action"
            nativeSelectProps={{ name: 'actionKind', value: kind, onChange: (e) => setKind(e.target.value) }}
          >
            {ACTION_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </Select>
          <Input
            label="Description de l’action"
            hintText="500 caractères au plus. La personne peut lire ce que vous écrivez."
            textArea
            nativeTextAreaProps={{
              name: 'actionLabel',
              required: true,
              maxLength: 500,
              rows: 3,
              value: label,
              onChange: (e) => setLabel(e.target.value),
            }}
          />
          <Button type="submit" disabled={record.busy}>
            Enregistrer l’action
          </Button>
        </form>
      )}
    </section>
  );
}
