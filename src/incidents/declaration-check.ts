import { ValidationError, type ValidationIssue as Issue } from '../domain/index.ts';
import { actorsOfMachineClients, actorsOfSessions } from '../identity/index.ts';
import type { Executor } from '../store/index.ts';
import { VECTORS, type Compromised, type Declaration } from './model.ts';

export type DeclaredFacts = Pick<Declaration, 'compromised' | 'windowFrom' | 'windowTo' | 'awareAt' | 'vector'>;

/** A declaration (or its amended form) is written only if every field holds: all the faults at once, by field. */
export async function checkDeclaration(db: Executor, input: DeclaredFacts, now: Date): Promise<void> {
  const issues = [...factIssues(input, now), ...(await identityIssues(db, input.compromised))];
  if (issues.length) throw new ValidationError(issues);
}

/** The vector, the window and the awareness, against each other and the clock. */
function factIssues(input: DeclaredFacts, now: Date): Issue[] {
  const issues: Issue[] = [];
  const c = input.compromised;
  if (!(VECTORS as readonly string[]).includes(input.vector))
    issues.push({ field: 'body.vector', rule: 'enum', message: `vecteur inconnu (attendu : ${VECTORS.join(', ')})` });
  if (c.actors.length + c.organisations.length + c.clients.length + c.sessions.length === 0) {
    issues.push({
      field: 'body.compromised',
      rule: 'required',
      message: 'au moins une identité compromise : compte, organisation, client machine ou session',
    });
  }
  if (!(input.windowFrom < input.windowTo))
    issues.push({ field: 'body.windowTo', rule: 'after', message: 'la fin de la fenêtre doit suivre son début' });
  if (input.windowFrom.getTime() > now.getTime())
    issues.push({
      field: 'body.windowFrom',
      rule: 'past',
      message: 'la fenêtre ne peut pas commencer dans le futur',
    });
  if (input.awareAt.getTime() > now.getTime() + 60_000)
    issues.push({
      field: 'body.awareAt',
      rule: 'past',
      message: 'la prise de connaissance ne peut pas être dans le futur',
    });
  if (input.awareAt < input.windowFrom)
    issues.push({
      field: 'body.awareAt',
      rule: 'after',
      message: 'la prise de connaissance ne peut pas précéder le début de la fenêtre',
    });
  return issues;
}

/** Every identity named exists, and a session named is a staff session. */
async function identityIssues(db: Executor, c: Compromised): Promise<Issue[]> {
  const issues: Issue[] = [];
  const missing = (known: ReadonlySet<string>, ids: readonly string[], field: string) => {
    ids.forEach((id, i) => {
      if (!known.has(id))
        issues.push({ field: `body.compromised.${field}[${i}]`, rule: 'exists', message: 'identifiant inconnu' });
    });
  };
  const idSet = (rows: ReadonlyArray<{ id: string }>) => new Set(rows.map((r) => r.id));
  if (c.actors.length)
    missing(
      idSet(
        await db
          .selectFrom('actors')
          .select('id')
          .where('id', 'in', [...c.actors])
          .execute(),
      ),
      c.actors,
      'actors',
    );
  if (c.organisations.length)
    missing(
      idSet(
        await db
          .selectFrom('organisations')
          .select('id')
          .where('id', 'in', [...c.organisations])
          .execute(),
      ),
      c.organisations,
      'organisations',
    );
  // The machine clients are identity's: it says which exist.
  missing(new Set((await actorsOfMachineClients(db, c.clients)).keys()), c.clients, 'clients');
  const staff = await actorsOfSessions(db, c.sessions);
  c.sessions.forEach((id, i) => {
    if (!staff.has(id))
      issues.push({ field: `body.compromised.sessions[${i}]`, rule: 'exists', message: 'session inconnue' });
    else if (!staff.get(id))
      issues.push({
        field: `body.compromised.sessions[${i}]`,
        rule: 'staff',
        message: 'seule une session professionnelle peut être déclarée compromise',
      });
  });
  return issues;
}
