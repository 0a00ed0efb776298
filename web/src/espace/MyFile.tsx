import { api } from '../app/api.ts';
import { classLabel, FIELD_CLASS_ORDER, formatDateTime } from '../app/format.ts';
import { ErrorNotice, Loading, PageTitle, useLoad } from '../app/ui.tsx';
import { Fields } from '../app/fields.tsx';

interface MyFileView {
  id: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  classes: string[];
  fields: Record<string, Record<string, unknown> | undefined>;
}

/** « Mon dossier »: everything the file holds, class by class; what it does not hold, said plainly. */
export function MyFile() {
  const file = useLoad(() => api<MyFileView>('/api/me/file'));
  return (
    <>
      <PageTitle title="Mon dossier">Mon dossier</PageTitle>
      <p>
        Voici toutes les données que Rempart conserve sur vous, rangées par catégorie. Chaque consultation de votre
        dossier, y compris celle-ci, est inscrite dans un journal infalsifiable.
      </p>
      <ErrorNotice error={file.error} title="Votre dossier n’a pas pu être affiché" />
      {file.loading && !file.data ? <Loading what="Chargement de votre dossier" /> : null}
      {file.data ? (
        <>
          <p className="fr-text--sm">
            Dossier créé le {formatDateTime(file.data.createdAt)}, mis à jour le {formatDateTime(file.data.updatedAt)}.
          </p>
          {FIELD_CLASS_ORDER.map((fieldClass) => {
            const value = file.data!.fields[fieldClass];
            return (
              <section key={fieldClass} className="fr-mb-4w" aria-labelledby={`classe-${fieldClass}`}>
                <h2 id={`classe-${fieldClass}`} className="fr-h4">
                  {classLabel(fieldClass)}
                </h2>
                {value ? (
                  <Fields value={value} />
                ) : (
                  <p className="fr-text--sm fr-mb-0">Aucune donnée dans cette catégorie.</p>
                )}
              </section>
            );
          })}
        </>
      ) : null}
    </>
  );
}
