import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api } from './api.ts';
import { ErrorNotice, PageTitle, useAction } from './ui.tsx';

/**
 * « Ce n’est pas moi », the page the bank-change notice links to: the person, perhaps not signed
 * in (their account may be in a thief's hands), blocks the change with the notice's code. The
 * link only fills the form — a mail scanner following it blocks nothing — and the page is the
 * service's own, header, footer and Marianne, so that a worried person recognises it.
 */
export function NotMe() {
  const [params] = useSearchParams();
  const [code, setCode] = useState(() => (params.get('code') ?? '').slice(0, 20));
  const [outcome, setOutcome] = useState<string | null>(null);
  const freeze = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const answer = await api<{ frozen: boolean; alreadyEffective: boolean; message: string }>(
      '/api/bank-details/freeze',
      { method: 'POST', body: { code: code.trim() }, quiet401: true },
    );
    setOutcome(answer.message);
  });
  return (
    <>
      <PageTitle title={outcome ? 'Modification bloquée' : 'Ce n’est pas moi'}>
        {outcome ? 'Modification bloquée' : 'Ce n’est pas moi'}
      </PageTitle>
      {outcome ? (
        <>
          <Alert severity="success" small={false} title="C’est fait" description={outcome} role="status" />
          <p className="fr-mt-3w">
            Pour toute question, appelez le 3949 (service gratuit + prix d’un appel). Nous ne vous demanderons jamais
            votre mot de passe ni vos codes.
          </p>
        </>
      ) : (
        <>
          <p>
            Vous avez reçu un avis de modification de vos coordonnées bancaires que vous n’avez pas demandée ? Saisissez
            le code indiqué dans l’avis : la modification sera bloquée, vos sessions fermées, et un conseiller vous
            contactera.
          </p>
          <ErrorNotice error={freeze.error} title="Le blocage n’a pas abouti" />
          <form onSubmit={(event) => void freeze.run(event)} className="fr-mb-4w">
            <Input
              label="Code reçu"
              hintText="10 caractères, par exemple 7KX2M-Q9PRT"
              nativeInputProps={{
                name: 'code',
                required: true,
                maxLength: 20,
                autoComplete: 'off',
                autoCapitalize: 'characters',
                value: code,
                onChange: (e) => setCode(e.target.value),
              }}
            />
            <Button type="submit" disabled={freeze.busy || code.trim().length === 0}>
              Bloquer la modification
            </Button>
          </form>
          <p>Vous pouvez aussi appeler le 3949 et donner ce code à un conseiller.</p>
        </>
      )}
    </>
  );
}
