import { Badge } from '@codegouvfr/react-dsfr/Badge';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Checkbox } from '@codegouvfr/react-dsfr/Checkbox';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { useState, type FormEvent } from 'react';
import { REMPART_CONTROLS } from '../../../src/policy/dpia-controls.ts';
import { api } from '../app/api.ts';
import { DataTable } from '../app/DataTable.tsx';
import { formatDate } from '../app/format.ts';
import { needsStepUp, StepUp } from '../app/StepUp.tsx';
import { ErrorNotice, Loading, SuccessNotice, useAction, useLoad } from '../app/ui.tsx';

/**
 * The evidence that holds the gate (issue 24 §4), from the desk: the DPO marks a DPIA's measure
 * implemented with its evidence (a new version of the DPIA), and the security officer records an
 * organisation's attestation of the security baseline. The API refuses what these forms would
 * let through; a fresh second factor is asked when needed.
 */

/** Run a sensitive write, asking for the second factor again when the server wants it. */
function useSensitive<A extends unknown[]>(write: (...args: A) => Promise<void>) {
  const [retry, setRetry] = useState<(() => void) | null>(null);
  const action = useAction(async (...args: A) => {
    try {
      await write(...args);
      setRetry(null);
    } catch (error) {
      if (needsStepUp(error)) {
        setRetry(() => () => void action.run(...args));
        return;
      }
      throw error;
    }
  });
  const stepUp = retry ? <StepUp onPassed={retry} onCancel={() => setRetry(null)} /> : null;
  return { ...action, stepUp };
}

interface Measure {
  id: string;
  title: string;
  control: keyof typeof REMPART_CONTROLS;
  status: 'planned' | 'in_progress' | 'implemented';
  evidence?: { kind: 'test' | 'setting' | 'report'; reference: string; note?: string };
}
interface DpiaVersion {
  processing: string;
  version: number;
  pending: string[];
  document: { measures: Measure[] } & Record<string, unknown>;
}

const STATUS_LABELS: Record<Measure['status'], string> = {
  planned: 'prévue',
  in_progress: 'en cours',
  implemented: 'mise en œuvre',
};
const EVIDENCE_LABELS: Record<string, string> = {
  test: 'un test (fichier du dépôt)',
  setting: 'un réglage',
  report: 'un rapport (route de l’API)',
};
const EVIDENCE_HINTS: Record<string, string> = {
  test: 'Par exemple test/backend/guard.test.ts',
  setting: 'Par exemple REMPART_TRUST_PROXY ou posture.mfa',
  report: 'Par exemple /api/security/compliance',
};

/** A DPIA's measures, each with its control and evidence; the DPO marks one implemented with its proof. */
export function DpiaMeasures({
  processing,
  canEdit,
  onSaved,
}: {
  processing: string;
  canEdit: boolean;
  /** The register and the DPIA list say what is pending: they read again. */
  onSaved: () => void;
}) {
  const dpia = useLoad(() => api<DpiaVersion>(`/api/security/dpia/${encodeURIComponent(processing)}`), [processing]);
  const [done, setDone] = useState<string | null>(null);
  const mark = useSensitive(async (measure: Measure, evidence: NonNullable<Measure['evidence']>) => {
    const current = dpia.data!;
    const document = {
      ...current.document,
      measures: current.document.measures.map((m) =>
        m.id === measure.id ? { ...m, status: 'implemented' as const, evidence } : m,
      ),
    };
    const saved = await api<DpiaVersion>(`/api/security/dpia/${encodeURIComponent(processing)}`, {
      method: 'PUT',
      body: document,
    });
    setDone(`Mesure « ${measure.title} » mise en œuvre : AIPD version ${saved.version}.`);
    dpia.reload();
    onSaved();
  });
  if (dpia.error) return <ErrorNotice error={dpia.error} title="AIPD indisponible" />;
  if (!dpia.data) return <Loading what="Chargement de l’AIPD" />;
  const { measures } = dpia.data.document;
  return (
    <div className="fr-mb-3w">
      <SuccessNotice message={done} />
      {mark.stepUp}
      <ErrorNotice error={mark.error} title="Mesure non enregistrée" />
      <DataTable
        caption={`Mesures de l’AIPD « ${processing} » (version ${dpia.data.version}) : ${dpia.data.pending.length} en attente`}
        columns={['Mesure', 'Contrôle de Rempart', 'État', 'Preuve']}
      >
        {measures.map((m) => (
          <tr key={m.id}>
            <td>{m.title}</td>
            <td>{REMPART_CONTROLS[m.control] ?? m.control}</td>
            <td>
              {m.status === 'implemented' && m.evidence ? (
                <Badge severity="success" small>
                  {STATUS_LABELS[m.status]}
                </Badge>
              ) : (
                <Badge severity="warning" small>
                  {STATUS_LABELS[m.status]}
                </Badge>
              )}
            </td>
            <td>
              {m.evidence ? (
                <code>{m.evidence.reference}</code>
              ) : canEdit ? (
                <EvidenceForm measure={m} busy={mark.busy} onSubmit={(evidence) => void mark.run(m, evidence)} />
              ) : (
                '—'
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}

function EvidenceForm({
  measure,
  busy,
  onSubmit,
}: {
  measure: Measure;
  busy: boolean;
  onSubmit: (evidence: NonNullable<Measure['evidence']>) => void;
}) {
  const [kind, setKind] = useState<'test' | 'setting' | 'report'>('test');
  const [reference, setReference] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit({ kind, reference: reference.trim() });
  };
  return (
    <form onSubmit={submit} aria-label={`Preuve de la mesure « ${measure.title} »`}>
      <Select
        label="La preuve est"
        nativeSelectProps={{ value: kind, onChange: (e) => setKind(e.target.value as typeof kind) }}
      >
        {Object.entries(EVIDENCE_LABELS).map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </Select>
      <Input
        label="Référence de la preuve"
        hintText={EVIDENCE_HINTS[kind]}
        nativeInputProps={{ value: reference, onChange: (e) => setReference(e.target.value), required: true }}
      />
      <Button type="submit" size="small" disabled={busy}>
        Marquer mise en œuvre
        <span className="fr-sr-only">{` : ${measure.title}`}</span>
      </Button>
    </form>
  );
}

interface Attestation {
  id: string;
  attestedBy: { name: string; role: string };
  attestedAt: string;
}

/** An organisation's attestations of the security baseline, and (for the security officer) the form to record one. */
export function BaselineAttestations({ organisationId, canRecord }: { organisationId: string; canRecord: boolean }) {
  const list = useLoad(
    () => api<{ attestations: Attestation[] }>(`/api/security/organisations/${organisationId}/baseline-attestations`),
    [organisationId],
  );
  const [name, setName] = useState('');
  const [role, setRole] = useState('');
  const [date, setDate] = useState('');
  const [checked, setChecked] = useState({ secondFactor: false, scopedAuthorisations: false, anomalyDetection: false });
  const [done, setDone] = useState<string | null>(null);
  const record = useSensitive(async () => {
    await api(`/api/security/organisations/${organisationId}/baseline-attestations`, {
      method: 'POST',
      body: {
        attestedBy: { name: name.trim(), role: role.trim() },
        ...(date ? { attestedAt: new Date(`${date}T12:00:00Z`).toISOString() } : {}),
        // Only what was ticked is sent: the API names an unticked item in its refusal.
        ...Object.fromEntries(Object.entries(checked).filter(([, v]) => v)),
      },
    });
    setDone('Attestation enregistrée.');
    setName('');
    setRole('');
    setDate('');
    setChecked({ secondFactor: false, scopedAuthorisations: false, anomalyDetection: false });
    list.reload();
  });
  const latest = list.data?.attestations[0];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void record.run();
  };
  return (
    <>
      <p className="fr-mb-1w">
        {latest
          ? `Socle de sécurité attesté le ${formatDate(latest.attestedAt)} par ${latest.attestedBy.name} (${latest.attestedBy.role}).`
          : 'Socle de sécurité : aucune attestation.'}
      </p>
      {canRecord ? (
        <form onSubmit={submit} className="fr-mb-3w" aria-label="Enregistrer une attestation du socle de sécurité">
          <SuccessNotice message={done} />
          {record.stepUp}
          <ErrorNotice error={record.error} title="Attestation non enregistrée" />
          <Checkbox
            legend="L’organisation atteste, par un document signé :"
            options={[
              ['secondFactor', 'Second facteur d’authentification pour tous les comptes'],
              ['scopedAuthorisations', 'Habilitations limitées aux personnes suivies et aux finalités déclarées'],
              ['anomalyDetection', 'Journaux exploités pour détecter les comportements anormaux'],
            ].map(([key, label]) => ({
              label: label!,
              nativeInputProps: {
                checked: checked[key as keyof typeof checked],
                onChange: (e) => setChecked({ ...checked, [key!]: e.target.checked }),
              },
            }))}
          />
          <Input
            label="Nom de la personne qui atteste"
            nativeInputProps={{ value: name, onChange: (e) => setName(e.target.value) }}
          />
          <Input
            label="Sa fonction"
            hintText="RSSI, directeur ou directrice…"
            nativeInputProps={{ value: role, onChange: (e) => setRole(e.target.value) }}
          />
          <Input
            label="Date du document signé (facultatif)"
            nativeInputProps={{ type: 'date', value: date, onChange: (e) => setDate(e.target.value) }}
          />
          <Button type="submit" size="small" disabled={record.busy}>
            Enregistrer l’attestation
          </Button>
        </form>
      ) : null}
    </>
  );
}
