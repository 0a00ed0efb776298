import { Input } from '@codegouvfr/react-dsfr/Input';
import QRCode from 'qrcode';
import { beginTotpEnrolment, type TotpEnrolment } from './factors.ts';

/** An authenticator-app enrolment under way, with its `otpauth:` address drawn as a QR code (a `data:` image). */
export type ShownTotpEnrolment = TotpEnrolment & { qr: string };

export async function beginShownTotpEnrolment(): Promise<ShownTotpEnrolment> {
  const begun = await beginTotpEnrolment();
  return { ...begun, qr: await QRCode.toDataURL(begun.otpauthUri, { margin: 1, width: 220 }) };
}

/**
 * What enrolling an authenticator app shows, at sign-in and in « Sécurité du compte »: the QR
 * code, the key to type instead, and the field for the first code; the caller's form confirms it.
 */
export function TotpEnrolmentFields({
  enrolment,
  intro,
  code,
  onCode,
  keyClassName,
}: {
  enrolment: ShownTotpEnrolment;
  intro: string;
  code: string;
  onCode(code: string): void;
  keyClassName?: string;
}) {
  return (
    <>
      <p>{intro}</p>
      <img
        src={enrolment.qr}
        alt="Code QR de configuration de l’application d’authentification"
        width={220}
        height={220}
      />
      <p className={keyClassName}>
        Clé : <code data-testid="totp-secret">{enrolment.secret}</code>
      </p>
      <Input
        label="Premier code"
        nativeInputProps={{
          name: 'code',
          autoComplete: 'one-time-code',
          inputMode: 'numeric',
          required: true,
          value: code,
          onChange: (e) => onCode(e.target.value),
        }}
      />
    </>
  );
}

/** The recovery codes, shown once when the first second factor is enrolled. */
export function RecoveryCodeList({ codes }: { codes: string[] }) {
  return (
    <ul className="rempart-codes">
      {codes.map((c) => (
        <li key={c}>
          <code>{c}</code>
        </li>
      ))}
    </ul>
  );
}
