import { Input } from '@codegouvfr/react-dsfr/Input';

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
