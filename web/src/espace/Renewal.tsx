import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { useState, type FormEvent } from 'react';
import { api } from '../app/api.ts';
import { fieldError } from '../app/errors.ts';
import { formatDate } from '../app/format.ts';
import { AvailabilityStep, EMPTY, SituationStep, SoughtJobsStep, type Form } from '../app/Registration.tsx';
import { ErrorNotice, Loading, PageTitle, useAction, useLoad } from '../app/ui.tsx';

interface OwnFile {
  fields: { registration?: { status: string; deregisteredOn?: string; franceTravailId: string } };
}

/**
 * « Me réinscrire » (issue 25 §1): after a « cessation d’inscription » (a missed monthly update),
 * the person registers again on the same file, declaring anew their situation, availability,
 * mobility and the jobs they seek.
 */
export function RenewalPage() {
  const file = useLoad(() => api<OwnFile>('/api/me/file'));
  const [form, setForm] = useState<Form>(EMPTY);
  const [done, setDone] = useState<{ registeredOn: string; category: string; administrativeCategory: number } | null>(
    null,
  );
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const send = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const hours = Number.parseInt(form.hoursLastMonth, 10);
    setDone(
      await api('/api/me/registration/renewal', {
        method: 'POST',
        body: {
          situation: {
            kind: form.situation,
            ...(form.situation === 'reduced_activity' && !Number.isNaN(hours) ? { hoursLastMonth: hours } : {}),
          },
          availability: { availableFrom: form.availableFrom, workingTime: form.workingTime, contract: form.contract },
          mobility: {
            maxDistanceKm: Number.parseInt(form.maxDistanceKm, 10),
            transport: form.transport,
            drivingLicence: form.drivingLicence === 'yes',
          },
          soughtJobs: form.soughtJobs,
        },
      }),
    );
  });
  const state = (field: string) => {
    const message = fieldError(send.error, field);
    return message ? { state: 'error' as const, stateRelatedMessage: message } : {};
  };
  const registration = file.data?.fields.registration;
  return (
    <>
      <PageTitle title="Me réinscrire">Me réinscrire</PageTitle>
      <ErrorNotice error={file.error} title="Dossier indisponible" />
      {file.loading && !file.data ? <Loading /> : null}
      {done ? (
        <Alert
          severity="success"
          small={false}
          title="Votre réinscription est enregistrée"
          description={`Vous êtes de nouveau inscrit(e) depuis le ${formatDate(done.registeredOn)}, en catégorie ${done.administrativeCategory} (catégorie statistique ${done.category}). Une confirmation vous a été envoyée.`}
          role="status"
        />
      ) : registration && registration.status !== 'deregistered' ? (
        <p>Votre inscription est en cours : vous n’avez pas à vous réinscrire.</p>
      ) : file.data ? (
        <form onSubmit={(e) => void send.run(e)} noValidate>
          <p>
            Votre inscription a pris fin
            {registration?.deregisteredOn ? ` le ${formatDate(registration.deregisteredOn)}` : ''}. Ce n’était pas une
            sanction : dites-nous où vous en êtes, et vous êtes de nouveau inscrit(e) dès aujourd’hui, avec le même
            dossier.
          </p>
          <ErrorNotice error={send.error} title="Réinscription refusée" />
          <SituationStep form={form} set={set} state={state} />
          <AvailabilityStep form={form} set={set} state={state} />
          <SoughtJobsStep form={form} set={set} state={state} />
          <Button type="submit" disabled={send.busy}>
            Me réinscrire
          </Button>
        </form>
      ) : null}
    </>
  );
}
