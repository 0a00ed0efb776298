import { PageTitle } from './ui.tsx';

/**
 * The accessibility statement the footer's « Accessibilité : partiellement conforme » leads to,
 * after the RGAA's model (« Déclaration d'accessibilité »). It says what was checked and how,
 * not more: no RGAA audit has been made, so no conformity rate is claimed.
 */
export function AccessibilityStatement() {
  return (
    <>
      <PageTitle title="Déclaration d’accessibilité">Déclaration d’accessibilité</PageTitle>
      <p>
        L’éditeur de Rempart s’engage à rendre ses services numériques accessibles, conformément à l’article 47 de la
        loi n° 2005-102 du 11 février 2005. Cette déclaration d’accessibilité s’applique au service Rempart : l’espace
        demandeur d’emploi, la console des conseillers et partenaires, et le bureau de sécurité.
      </p>

      <h2>État de conformité</h2>
      <p>
        Rempart est <strong>partiellement conforme</strong> avec le référentiel général d’amélioration de
        l’accessibilité (RGAA), version 4.1.2, en raison des non-conformités et des dérogations énumérées ci-dessous.
      </p>

      <h2>Résultats des tests</h2>
      <p>
        Aucun audit de conformité au RGAA n’a encore été réalisé : aucun taux de conformité n’est donc annoncé. Les
        pages de chaque espace sont vérifiées automatiquement à chaque modification du logiciel, dans un navigateur réel
        : absence de défaut grave ou critique selon les règles WCAG 2.1 A et AA contrôlables automatiquement (axe-core),
        affichage sans défilement horizontal sur un écran de téléphone de 375 pixels, parcours au clavier seul (liens
        d’évitement, formulaire de connexion, menus). Ces vérifications ne remplacent pas un audit.
      </p>

      <h2>Contenus non accessibles</h2>
      <h3>Non-conformités connues</h3>
      <ul>
        <li>
          Certains messages d’erreur de saisie ne disent pas clairement comment corriger le champ concerné (critère
          11.11).
        </li>
        <li>La documentation technique de l’interface de programmation (API) n’a pas été vérifiée.</li>
      </ul>
      <h3>Dérogations pour charge disproportionnée</h3>
      <p>Aucune.</p>
      <h3>Contenus non soumis à l’obligation d’accessibilité</h3>
      <p>
        Les courriers PDF de notification d’incident sont produits pour l’impression et l’envoi postal ; leur contenu
        est aussi disponible en texte dans l’espace demandeur d’emploi.
      </p>

      <h2>Établissement de cette déclaration</h2>
      <p>Cette déclaration a été établie le 3 décembre 2026.</p>
      <h3>Technologies utilisées</h3>
      <ul>
        <li>HTML5, CSS, JavaScript (React)</li>
        <li>Système de design de l’État (DSFR)</li>
      </ul>
      <h3>Environnement des vérifications</h3>
      <ul>
        <li>Chromium, sur des écrans de 1 280 et de 375 pixels de large</li>
        <li>axe-core pour les règles contrôlables automatiquement</li>
      </ul>

      <h2>Retour d’information et contact</h2>
      <p>
        Si vous n’arrivez pas à accéder à un contenu ou à un service, vous pouvez contacter le responsable du service
        pour être orienté vers une alternative accessible ou obtenir le contenu sous une autre forme : votre conseiller
        ou votre agence France Travail.
      </p>

      <h2>Voies de recours</h2>
      <p>
        Si vous constatez un défaut d’accessibilité vous empêchant d’accéder à un contenu ou à une fonctionnalité du
        service, que vous nous l’avez signalé et que vous n’avez pas obtenu de réponse satisfaisante, vous êtes en droit
        de faire parvenir vos doléances ou une demande de saisine au Défenseur des droits :
      </p>
      <ul>
        <li>
          écrire un message au Défenseur des droits (formulaire de contact sur{' '}
          <a className="fr-link" href="https://formulaire.defenseurdesdroits.fr/" rel="noreferrer">
            formulaire.defenseurdesdroits.fr
          </a>
          ) ;
        </li>
        <li>contacter le délégué du Défenseur des droits dans votre région ;</li>
        <li>
          envoyer un courrier par la poste (gratuit, ne pas mettre de timbre) : Défenseur des droits, Libre réponse
          71120, 75342 Paris CEDEX 07.
        </li>
      </ul>
    </>
  );
}
