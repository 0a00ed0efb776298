import { Input } from '@codegouvfr/react-dsfr/Input';
import { Button } from '@codegouvfr/react-dsfr/Button';

/** The name a person may give the passkey they register, to tell their keys apart in « Sécurité du compte ». */
export function PasskeyNameInput({ value, onChange }: { value: string; onChange(value: string): void }) {
  return (
    <Input
      label="Nom de la clé d’accès (facultatif)"
      hintText="Par exemple « Téléphone professionnel »"
      nativeInputProps={{
        name: 'passkeyName',
        autoComplete: 'off',
        maxLength: 64,
        value,
        onChange: (e) => onChange(e.target.value),
      }}
    />
  );
}

/** The name given, else the one that says where the key was registered. */
export function passkeyName(given: string, otherwise: string): string {
  return given.trim() || otherwise;
}

/** The passkey's button, the same wherever a key is used or registered. */
export function PasskeyButton({ label, busy, onClick }: { label: string; busy: boolean; onClick(): void }) {
  return (
    <Button type="button" priority="secondary" iconId="fr-icon-fingerprint-line" onClick={onClick} disabled={busy}>
      {label}
    </Button>
  );
}

/**
 * Adding a second factor, at first sign-in and in « Sécurité du compte » alike: an authenticator
 * app, or a passkey named by its holder.
 */
export function NewFactorChoice(props: {
  name: string;
  onNameChange(value: string): void;
  totpLabel: string;
  totp: { busy: boolean; run(): unknown };
  passkey: { busy: boolean; run(): unknown };
}) {
  return (
    <>
      <PasskeyNameInput value={props.name} onChange={props.onNameChange} />
      <ul className="fr-btns-group fr-btns-group--inline-sm fr-btns-group--icon-left">
        <li>
          <Button type="button" onClick={() => void props.totp.run()} disabled={props.totp.busy}>
            {props.totpLabel}
          </Button>
        </li>
        <li>
          <PasskeyButton
            label="Enregistrer une clé d’accès"
            busy={props.passkey.busy}
            onClick={() => void props.passkey.run()}
          />
        </li>
      </ul>
    </>
  );
}
