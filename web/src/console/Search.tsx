import { Alert } from '@codegouvfr/react-dsfr/Alert';
import { Button } from '@codegouvfr/react-dsfr/Button';
import { Input } from '@codegouvfr/react-dsfr/Input';
import { RadioButtons } from '@codegouvfr/react-dsfr/RadioButtons';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../app/api.ts';
import { bornLabel, formatDate } from '../app/format.ts';
import { ErrorNotice, PageTitle, useAction } from '../app/ui.tsx';
import { declarationHeaders, openFile, useConsole, type Declaration } from './context.tsx';
import { BreakGlass } from './BreakGlass.tsx';
import { DeclarationFields, initialDeclaration } from './DeclarationFields.tsx';

type Criterion = 'nir' | 'franceTravailId' | 'person';

interface SearchResult {
  id: string;
  identity?: { lastName: string; usageName?: string; firstNames: string[]; sex?: string; birthDate: string };
}

/**
 * « Rechercher un dossier »: one exact identifier, sent in the request's body (never in the
 * address), under a declared purpose. Only files within the agent's scope come back; a miss
 * and a file out of scope look the same.
 */
export function Search() {
  const { profile, declaration, setDeclaration } = useConsole();
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Declaration>(() => initialDeclaration(profile.purposes, declaration));
  const [criterion, setCriterion] = useState<Criterion>('nir');
  const [nir, setNir] = useState('');
  const [franceTravailId, setFranceTravailId] = useState('');
  const [lastName, setLastName] = useState('');
  const [firstName, setFirstName] = useState('');
  const [birthDate, setBirthDate] = useState('');
  const [results, setResults] = useState<{
    items: SearchResult[];
    declaration: Declaration;
    identifier: Record<string, unknown>;
  } | null>(null);
  const [askingBreakGlass, setAskingBreakGlass] = useState(false);

  const search = useAction(async (event: FormEvent) => {
    event.preventDefault();
    setResults(null);
    setAskingBreakGlass(false);
    const body =
      criterion === 'nir'
        ? { nir: nir.replace(/\s+/g, '') }
        : criterion === 'franceTravailId'
          ? { franceTravailId: franceTravailId.trim() }
          : { person: { lastName: lastName.trim(), firstName: firstName.trim(), birthDate } };
    const answer = await api<{ results: SearchResult[] }>('/api/staff/persons/search', {
      method: 'POST',
      body,
      headers: declarationHeaders(draft),
    });
    setDeclaration(draft);
    setResults({ items: answer.results, declaration: draft, identifier: body });
  });

  return (
    <>
      <PageTitle title="Rechercher un dossier">Rechercher un dossier</PageTitle>
      <p>
        Retrouvez un dossier de votre périmètre par un identifiant exact : ni joker, ni début de nom. La recherche est
        inscrite au journal, sans l’identifiant recherché.
      </p>
      {profile.purposes.length === 0 ? (
        <Alert
          severity="warning"
          small
          description="Aucune convention en vigueur ne vous ouvre de finalité : la recherche vous est fermée."
          className="fr-mb-3w"
        />
      ) : (
        <form onSubmit={(event) => void search.run(event)} className="fr-mb-4w">
          <DeclarationFields purposes={profile.purposes} value={draft} onChange={setDraft} />
          <RadioButtons
            legend="Rechercher par"
            name="criterion"
            options={[
              {
                label: 'Numéro de sécurité sociale (NIR)',
                nativeInputProps: { value: 'nir', checked: criterion === 'nir', onChange: () => setCriterion('nir') },
              },
              {
                label: 'Identifiant France Travail',
                nativeInputProps: {
                  value: 'franceTravailId',
                  checked: criterion === 'franceTravailId',
                  onChange: () => setCriterion('franceTravailId'),
                },
              },
              {
                label: 'Nom, prénom et date de naissance',
                nativeInputProps: {
                  value: 'person',
                  checked: criterion === 'person',
                  onChange: () => setCriterion('person'),
                },
              },
            ]}
          />
          {criterion === 'nir' ? (
            <Input
              label="NIR"
              hintText="13 chiffres, clé facultative ; les espaces sont ignorés."
              nativeInputProps={{
                name: 'nir',
                required: true,
                inputMode: 'numeric',
                autoComplete: 'off',
                value: nir,
                onChange: (e) => setNir(e.target.value),
              }}
            />
          ) : null}
          {criterion === 'franceTravailId' ? (
            <Input
              label="Identifiant France Travail"
              nativeInputProps={{
                name: 'franceTravailId',
                required: true,
                autoComplete: 'off',
                value: franceTravailId,
                onChange: (e) => setFranceTravailId(e.target.value),
              }}
            />
          ) : null}
          {criterion === 'person' ? (
            <>
              <Input
                label="Nom de naissance"
                hintText="Le nom complet."
                nativeInputProps={{
                  name: 'lastName',
                  required: true,
                  autoComplete: 'off',
                  value: lastName,
                  onChange: (e) => setLastName(e.target.value),
                }}
              />
              <Input
                label="Premier prénom"
                nativeInputProps={{
                  name: 'firstName',
                  required: true,
                  autoComplete: 'off',
                  value: firstName,
                  onChange: (e) => setFirstName(e.target.value),
                }}
              />
              <Input
                label="Date de naissance"
                nativeInputProps={{
                  name: 'birthDate',
                  type: 'date',
                  required: true,
                  value: birthDate,
                  onChange: (e) => setBirthDate(e.target.value),
                }}
              />
            </>
          ) : null}
          <Button type="submit" iconId="fr-icon-search-line" disabled={search.busy}>
            Rechercher
          </Button>
        </form>
      )}
      <ErrorNotice error={search.error} title="Recherche refusée" />
      {results ? (
        <section aria-labelledby="results-title" aria-live="polite">
          <h2 id="results-title" className="fr-h4">
            Résultat
          </h2>
          {results.items.length === 0 ? (
            <>
              <Alert severity="info" small description="Aucun dossier de votre périmètre ne correspond." />
              {profile.purposes.find((p) => p.purpose === results.declaration.purpose)?.breakGlass ? (
                askingBreakGlass ? (
                  <div className="fr-mt-3w">
                    <BreakGlass
                      target={{ identifier: results.identifier }}
                      declaration={results.declaration}
                      outOfScope="Aucun dossier de votre périmètre ne correspond à cet identifiant."
                      onGranted={(_expiresAt, personId) => openFile(navigate, personId, results.declaration)}
                    />
                  </div>
                ) : (
                  <p className="fr-mt-2w">
                    Le dossier existe mais n’est pas dans votre périmètre, et vous devez le consulter ?{' '}
                    <Button priority="tertiary" size="small" onClick={() => setAskingBreakGlass(true)}>
                      Accès exceptionnel
                    </Button>
                  </p>
                )
              ) : null}
            </>
          ) : (
            <ul className="fr-raw-list">
              {results.items.map((r) => (
                <li key={r.id} className="fr-py-1w fr-grid-row fr-grid-row--middle">
                  <span className="fr-col-12 fr-col-sm-8">
                    {r.identity ? (
                      <>
                        <strong>{r.identity.lastName}</strong> {r.identity.firstNames.join(' ')},{' '}
                        {bornLabel(r.identity.sex)} le {formatDate(r.identity.birthDate)}
                      </>
                    ) : (
                      <>Dossier réf. {r.id.slice(0, 8)}</>
                    )}
                  </span>
                  <span className="fr-col-12 fr-col-sm-4">
                    <Button
                      size="small"
                      priority="secondary"
                      onClick={() => openFile(navigate, r.id, results.declaration)}
                    >
                      Ouvrir le dossier
                    </Button>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
    </>
  );
}
