import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState, type FormEvent, type ReactNode } from 'react';
import { api } from './api.ts';
import { confirmTotpEnrolment, registerPasskey } from './factors.ts';
import { formatDateTime, plural } from './format.ts';
import { NewFactorChoice, passkeyName } from './PasskeyName.tsx';
import { PASSWORD_SECTION, PasswordChange } from './PasswordChange.tsx';
import { useSession, useSignedIn, type SessionInfo } from './session.tsx';
import { needsStepUp, StepUp } from './StepUp.tsx';
import {
  beginShownTotpEnrolment,
  RecoveryCodeList,
  TotpEnrolmentFields,
  type ShownTotpEnrolment,
} from './TotpEnrolment.tsx';
import { ErrorNotice, Loading, PageTitle, SuccessNotice, useAction, useLoad } from './ui.tsx';

interface Factor {
  id: string;
  kind: string;
  status: string;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  remaining?: number;
}

/** A session as GET /api/auth/sessions lists it: the same shape as the current one. */
type SessionRow = SessionInfo['session'];

const FACTOR_KINDS: Record<string, string> = {
  totp: 'Application d’authentification',
  passkey: 'Clé d’accès',
  recovery_codes: 'Codes de secours',
};

/**
 * « Sécurité du compte », for every account: second factors (passkeys among them), the password
 * and open sessions. A job seeker's space adds its own sections after them (`children`); staff
 * reach it at /securite, and /securite/cles-d-acces, the address of the former passkey page, leads here.
 */
export function SecurityPage({ children }: { children?: ReactNode }) {
  return (
    <>
      <PageTitle title="Sécurité du compte">Sécurité du compte</PageTitle>
      <Factors />
      <PasswordChange />
      <Sessions />
      {children}
    </>
  );
}

function Factors() {
  const factors = useLoad(() => api<{ factors: Factor[] }>('/api/auth/factors'));
  const { refresh } = useSession();
  const jobSeeker = useSignedIn().account.kind === 'job_seeker';
  const [name, setName] = useState('');
  const [enrolment, setEnrolment] = useState<ShownTotpEnrolment>();
  const [code, setCode] = useState('');
  const [recoveryCodes, setRecoveryCodes] = useState<string[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  /** The operation to run again once the second factor is confirmed (adding or removing a passkey). */
  const [retry, setRetry] = useState<{ run: () => void } | null>(null);

  const startTotp = useAction(async () => {
    setMessage(null);
    setEnrolment(await beginShownTotpEnrolment());
  });
  const confirmTotp = useAction(async (event: FormEvent) => {
    event.preventDefault();
    if (!enrolment) return;
    const codes = await confirmTotpEnrolment(enrolment.factorId, code);
    setEnrolment(undefined);
    setCode('');
    setRecoveryCodes(codes);
    setMessage('Application d’authentification activée.');
    await refresh();
    factors.reload();
  });
  const addPasskey = useAction(async (): Promise<void> => {
    setMessage(null);
    let codes: string[] | undefined;
    try {
      codes = await registerPasskey(
        passkeyName(
          name,
          jobSeeker ? 'Clé d’accès ajoutée depuis mon espace' : 'Clé d’accès ajoutée depuis Sécurité du compte',
        ),
      );
    } catch (error) {
      if (needsStepUp(error)) {
        setRetry({ run: () => void addPasskey.run() });
        return;
      }
      throw error;
    }
    setRetry(null);
    setName('');
    if (codes?.length) setRecoveryCodes(codes);
    setMessage('Clé d’accès enregistrée.');
    await refresh();
    factors.reload();
  });
  /** Remove a passkey or an authenticator app; a sensitive operation, retried after step-up. */
  const removeFactor = useAction(async (id: string, kind: string): Promise<void> => {
    setMessage(null);
    try {
      await api(kind === 'passkey' ? `/api/auth/passkeys/${id}` : `/api/auth/factors/totp/${id}`, { method: 'DELETE' });
    } catch (error) {
      if (needsStepUp(error)) {
        setRetry({ run: () => void removeFactor.run(id, kind) });
        return;
      }
      throw error;
    }
    setRetry(null);
    setMessage(kind === 'passkey' ? 'Clé d’accès retirée.' : 'Application d’authentification retirée.');
    factors.reload();
  });

  const usable = factors.data?.factors.filter((f) => f.status === 'active') ?? [];
  return (
    <section className="fr-mb-6w" aria-labelledby="facteurs">
      <h2 id="facteurs">Seconds facteurs</h2>
      <p>
        Un second facteur protège votre compte même si votre mot de passe est découvert.{' '}
        {jobSeeker
          ? 'Il est nécessaire pour modifier vos coordonnées bancaires.'
          : 'Il est demandé à chaque connexion et avant chaque opération sensible.'}
      </p>
      <ErrorNotice
        error={factors.error ?? startTotp.error ?? confirmTotp.error ?? addPasskey.error ?? removeFactor.error}
      />
      <SuccessNotice message={message} />
      {factors.loading && !factors.data ? <Loading what="Chargement de vos seconds facteurs" /> : null}
      {factors.data ? (
        usable.length === 0 ? (
          <p>
            <strong>Aucun second facteur n’est activé.</strong>
          </p>
        ) : (
          <ul data-testid="factors">
            {usable.map((f) => (
              <li key={f.id} className="fr-mb-1w">
                <strong>{FACTOR_KINDS[f.kind] ?? f.kind}</strong>
                {f.kind === 'recovery_codes' ? ` : ${f.remaining ?? 0} codes restants` : ` — ${f.label}`}, ajouté le{' '}
                {formatDateTime(f.createdAt)}
                {f.lastUsedAt ? `, dernière utilisation le ${formatDateTime(f.lastUsedAt)}` : ''}
                {f.kind === 'passkey' || f.kind === 'totp' ? (
                  <>
                    {' '}
                    <Button
                      type="button"
                      size="small"
                      priority="tertiary"
                      iconId="fr-icon-delete-line"
                      onClick={() => void removeFactor.run(f.id, f.kind)}
                      disabled={removeFactor.busy}
                    >
                      {f.kind === 'passkey' ? 'Retirer cette clé d’accès' : 'Retirer cette application'}
                    </Button>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        )
      ) : null}
      {retry ? <StepUp onPassed={retry.run} onCancel={() => setRetry(null)} /> : null}
      {recoveryCodes.length ? (
        <div className="fr-callout fr-mb-3w">
          <h3 className="fr-callout__title fr-h6">Vos codes de secours</h3>
          <p className="fr-callout__text fr-text--sm">
            Chaque code permet une seule connexion si vous perdez votre second facteur. Conservez-les en lieu sûr : ils
            ne seront plus affichés.
          </p>
          <RecoveryCodeList codes={recoveryCodes} />
          <Button type="button" size="small" onClick={() => setRecoveryCodes([])}>
            J’ai conservé mes codes
          </Button>
        </div>
      ) : null}
      {enrolment ? (
        <form onSubmit={(event) => void confirmTotp.run(event)} className="fr-mb-3w">
          <TotpEnrolmentFields
            enrolment={enrolment}
            intro="Scannez ce code avec votre application d’authentification, ou saisissez la clé ci-dessous, puis entrez le premier code affiché."
            code={code}
            onCode={setCode}
            keyClassName="rempart-entry"
          />
          <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
            <li>
              <Button type="submit" disabled={confirmTotp.busy}>
                Activer
              </Button>
            </li>
            <li>
              <Button type="button" priority="tertiary" onClick={() => setEnrolment(undefined)}>
                Annuler
              </Button>
            </li>
          </ul>
        </form>
      ) : (
        <NewFactorChoice
          name={name}
          onNameChange={setName}
          totpLabel="Ajouter une application d’authentification"
          totp={startTotp}
          passkey={addPasskey}
        />
      )}
    </section>
  );
}

function Sessions() {
  const info = useSignedIn();
  // Read again when the session rotates (passing or enrolling a factor re-issues it): « Cette session » stays this one.
  const sessions = useLoad(() => api<{ sessions: SessionRow[] }>('/api/auth/sessions'), [info.session.id]);
  const [message, setMessage] = useState<string | null>(null);
  const revoke = useAction(async (id: string) => {
    await api(`/api/auth/sessions/${id}`, { method: 'DELETE' });
    setMessage('Session déconnectée.');
    sessions.reload();
  });
  const revokeAll = useAction(async () => {
    const result = await api<{ revoked: number }>('/api/auth/sessions/revoke-all', { method: 'POST' });
    setMessage(
      result.revoked === 0
        ? 'Aucune autre session n’était ouverte.'
        : `${plural(result.revoked, 'autre session déconnectée', 'autres sessions déconnectées')}.`,
    );
    sessions.reload();
  });
  const others = sessions.data?.sessions.filter((s) => s.id !== info.session.id) ?? [];
  return (
    <section className="fr-mb-6w" aria-labelledby="sessions">
      <h2 id="sessions">Sessions ouvertes</h2>
      <p>
        Si vous ne reconnaissez pas une session, déconnectez-la et{' '}
        <a href={`#${PASSWORD_SECTION}`}>changez votre mot de passe</a>.
      </p>
      <ErrorNotice error={sessions.error ?? revoke.error ?? revokeAll.error} />
      <SuccessNotice message={message} />
      {sessions.loading && !sessions.data ? <Loading what="Chargement des sessions" /> : null}
      <ul data-testid="sessions">
        {sessions.data?.sessions.map((s) => (
          <li key={s.id} className="fr-mb-1w">
            {s.id === info.session.id ? <strong>Cette session (cet appareil)</strong> : <strong>Autre session</strong>}{' '}
            — ouverte le {formatDateTime(s.createdAt)}, dernière activité le {formatDateTime(s.lastSeenAt)}, réseau{' '}
            {s.network}
            {s.id !== info.session.id ? (
              <>
                {' '}
                <Button
                  type="button"
                  size="small"
                  priority="tertiary"
                  onClick={() => void revoke.run(s.id)}
                  disabled={revoke.busy}
                  title={`Déconnecter la session ouverte le ${formatDateTime(s.createdAt)}`}
                >
                  Déconnecter
                </Button>
              </>
            ) : null}
          </li>
        ))}
      </ul>
      <Button
        type="button"
        priority="secondary"
        onClick={() => void revokeAll.run()}
        disabled={revokeAll.busy || (sessions.data !== undefined && others.length === 0)}
      >
        Déconnecter toutes les autres sessions
      </Button>
    </section>
  );
}
