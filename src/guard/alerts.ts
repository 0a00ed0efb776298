import { createHmac } from 'node:crypto';
import type { Keyring } from '../crypto/index.ts';
import { alertSecurityContact, announceToAccount, staffAccountsAllowedTo } from '../identity/index.ts';
import type { Notifier } from '../notify/index.ts';
import { signalLabel } from './signal-labels.ts';
import type { Executor } from '../store/index.ts';

/** What the security officer is told: who, which signal, figures, and which persons were read (ids, never values). */
export interface GuardAlert {
  id: string;
  at: string;
  kind: 'alert' | 'containment' | 'organisation_suspended' | 'release';
  signal: string;
  actorId: string | null;
  actorLogin: string | null;
  organisationId: string;
  organisationName: string | null;
  figures: Record<string, number | string | boolean>;
  /** Persons the actor read in the last day, by id; empty for an organisation-wide signal. */
  personsRead: string[];
}

/** Where alerts go once their transaction has committed. */
export interface AlertSink {
  deliver(alerts: readonly GuardAlert[]): Promise<void>;
}

export interface AlertSinkOptions {
  db: Executor;
  keyring: () => Keyring;
  notifier: Notifier;
  webhook?: { url: string; secret?: string };
  /** Delivery failures are logged, never thrown: the containment already holds. */
  warn?: (message: string) => void;
}

const SUBJECTS: Record<GuardAlert['kind'], string> = {
  alert: 'Signal de comportement anormal',
  containment: 'Compte confiné',
  organisation_suspended: 'Organisation suspendue (disjoncteur)',
  release: 'Confinement levé',
};

function body(alert: GuardAlert): string {
  const who = alert.actorLogin ? `Compte : ${alert.actorLogin}\n` : '';
  const figures = Object.entries(alert.figures)
    .map(([k, v]) => `  ${k} : ${v}`)
    .join('\n');
  return [
    `${SUBJECTS[alert.kind]} — ${signalLabel(alert.signal)} (signal ${alert.signal})`,
    `${who}Organisation : ${alert.organisationName ?? alert.organisationId}`,
    `Heure : ${alert.at}`,
    figures ? `Mesures :\n${figures}` : '',
    `Personnes lues dans les dernières 24 heures : ${alert.personsRead.length}`,
    'Le détail (identifiants des dossiers, classes lues) est dans la console sécurité de Rempart.',
  ]
    .filter(Boolean)
    .join('\n');
}

/** A signature the receiver checks with the shared secret: HMAC-SHA256 of the exact body. */
export function webhookSignature(secret: string, payload: string): string {
  return `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`;
}

/**
 * Alerts by mail to the platform's security officers and to the organisation's security contact
 * (the outbox until a gateway is configured), and as a signed JSON POST to the SOC's webhook.
 */
export function createAlertSink(options: AlertSinkOptions): AlertSink {
  const warn = options.warn ?? ((m: string) => process.stderr.write(m + '\n'));
  return {
    async deliver(alerts) {
      if (alerts.length === 0) return;
      const messenger = { db: options.db, keyring: options.keyring(), notifier: options.notifier };
      const officerAccounts = await staffAccountsAllowedTo(options.db, 'receive', 'security_alerts');
      for (const alert of alerts) {
        const subject = `${SUBJECTS[alert.kind]} : ${signalLabel(alert.signal)}`;
        try {
          for (const account of officerAccounts)
            await announceToAccount(
              messenger,
              account,
              `guard_${alert.kind}`,
              `[Rempart – garde] ${subject}`,
              body(alert),
            );
          if (alert.kind !== 'alert')
            await alertSecurityContact(messenger, alert.organisationId, `guard_${alert.kind}`, subject, body(alert));
        } catch (error) {
          warn(`guard alert ${alert.id}: mail not sent (${error instanceof Error ? error.message : String(error)})`);
        }
        // Not awaited: a slow SOC endpoint must not hold the request that tripped the alert (5 s timeout).
        if (options.webhook) void postWebhook(options.webhook, alert, warn);
      }
    },
  };
}

async function postWebhook(
  webhook: { url: string; secret?: string },
  alert: GuardAlert,
  warn: (m: string) => void,
): Promise<void> {
  const payload = JSON.stringify({ type: `rempart.guard.${alert.kind}`, ...alert });
  try {
    const response = await fetch(webhook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(webhook.secret ? { 'rempart-signature': webhookSignature(webhook.secret, payload) } : {}),
      },
      body: payload,
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) warn(`guard alert ${alert.id}: webhook answered ${response.status}`);
  } catch (error) {
    warn(`guard alert ${alert.id}: webhook unreachable (${error instanceof Error ? error.message : String(error)})`);
  }
}
