import { Input } from '@codegouvfr/react-dsfr/Input';
import { Select } from '@codegouvfr/react-dsfr/Select';
import { classList, RELATIONSHIP_LABELS, type Declaration, type ProfilePurpose } from './context.tsx';

/**
 * « Finalité » and « Référence du dossier »: what every file request declares. The hint under
 * the purpose says plainly what it gives access to, and for whom.
 */
export function DeclarationFields({
  purposes,
  value,
  onChange,
}: {
  purposes: ProfilePurpose[];
  value: Declaration;
  onChange(value: Declaration): void;
}) {
  const chosen = purposes.find((p) => p.purpose === value.purpose);
  return (
    <fieldset className="fr-fieldset">
      <legend className="fr-fieldset__legend">Pourquoi consultez-vous ce dossier ?</legend>
      <div className="fr-fieldset__element">
        <Select
          label="Finalité"
          hint={
            chosen
              ? `Pour ${RELATIONSHIP_LABELS[chosen.relationship]}${chosen.conditions.maxAge !== undefined ? `, âgées de ${chosen.conditions.maxAge} ans au plus` : ''} ; données lisibles : ${classList(chosen.read)}.`
              : 'Une finalité prévue par la convention de votre organisation.'
          }
          nativeSelectProps={{
            name: 'purpose',
            required: true,
            value: value.purpose,
            onChange: (e) => onChange({ ...value, purpose: e.target.value }),
          }}
        >
          <option value="" disabled>
            Choisissez une finalité
          </option>
          {purposes.map((p) => (
            <option key={p.purpose} value={p.purpose}>
              {p.label}
            </option>
          ))}
        </Select>
      </div>
      <div className="fr-fieldset__element">
        <Input
          label="Référence du dossier"
          hintText="Votre numéro de dossier pour cette démarche (3 à 64 caractères : lettres, chiffres, . _ : / -). Il est inscrit au journal avec l’accès."
          nativeInputProps={{
            name: 'caseReference',
            required: true,
            minLength: 3,
            maxLength: 64,
            autoComplete: 'off',
            value: value.caseReference,
            onChange: (e) => onChange({ ...value, caseReference: e.target.value.trim() }),
          }}
        />
      </div>
    </fieldset>
  );
}

/** The declaration to start from: the last one if its purpose is among these, else the only purpose, else nothing chosen. */
export function initialDeclaration(purposes: ProfilePurpose[], last: Declaration | null): Declaration {
  if (last && purposes.some((p) => p.purpose === last.purpose)) return last;
  return { purpose: purposes.length === 1 ? purposes[0]!.purpose : '', caseReference: last?.caseReference ?? '' };
}
