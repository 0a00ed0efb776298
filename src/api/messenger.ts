import type { Messenger } from '../identity/index.ts';
import type { Runtime } from '../runtime/index.ts';

/** What identity needs to send codes and alerts, with the keyring in force right now. */
export function messengerOf(runtime: Runtime): Messenger {
  return { db: runtime.database.db, keyring: runtime.keyring, notifier: runtime.notifier };
}
