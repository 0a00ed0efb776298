import { classList, classesNotReadable, RELATIONSHIP_LABELS, useConsole } from './context.tsx';

/** What the agent's organisation's agreements let them do, in plain words. */
export function PurposesSummary() {
  const { profile } = useConsole();
  return (
    <section className="fr-mt-4w" aria-labelledby="purposes-title">
      <h2 id="purposes-title" className="fr-h4">
        Vos finalités
      </h2>
      {profile.purposes.length === 0 ? (
        <p>Aucune convention en vigueur ne vous ouvre de finalité : vous ne pouvez consulter aucun dossier.</p>
      ) : (
        <ul>
          {profile.purposes.map((p) => (
            <li key={p.purpose} className="fr-mb-2w">
              <strong>{p.label}</strong> (convention {p.agreement.reference}) : pour{' '}
              {RELATIONSHIP_LABELS[p.relationship]}
              {p.conditions.maxAge !== undefined ? `, âgées de ${p.conditions.maxAge} ans au plus` : ''}.
              <br />
              Lecture : {classList(p.read)}.{' '}
              {p.write.length ? `Modification : ${classList(p.write)}.` : 'Aucune modification.'}
              <br />
              <span className="fr-text--sm">Non accessibles : {classList(classesNotReadable(p.read))}.</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
