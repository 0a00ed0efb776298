import type { RegistrationInput } from '../registration/index.ts';
import type { Runtime } from '../runtime/index.ts';
import { nameBirthKey } from '../store/index.ts';

/**
 * The files registrations match by blind index (NIR; birth name, first given name and birth date),
 * nothing decrypted, for the guard to count before a registration is admitted: whoever registers
 * learns from « held_as_duplicate » that such a person exists, so those persons are counted as a
 * read would count them, and a match with a decoy's identity means the data were stolen — the guard
 * contains the actor as a decoy read would.
 */
export async function matchedFiles(runtime: Runtime, inputs: readonly RegistrationInput[]): Promise<string[]> {
  const matched = new Set<string>();
  for (const input of inputs) {
    const identity = input.identity;
    const keys = [
      ...(input.nir ? [['nir', input.nir] as const] : []),
      ['name_birth', nameBirthKey(identity.lastName, identity.firstNames[0] ?? '', identity.birthDate)] as const,
    ];
    for (const [kind, value] of keys) for (const id of await runtime.persons.lookup(kind, value)) matched.add(id);
  }
  return [...matched];
}
