import { randomInt } from 'node:crypto';
import type { Draw } from './person.ts';

// The lists below are tables, kept ten to a line rather than one a line.

/** Among the commonest surnames in France (INSEE): a canary's name must not stand out among real ones. */
// prettier-ignore
const LAST_NAMES = [
  'Martin', 'Bernard', 'Thomas', 'Petit', 'Robert', 'Richard', 'Durand', 'Dubois', 'Moreau', 'Laurent',
  'Simon', 'Michel', 'Lefebvre', 'Leroy', 'Roux', 'David', 'Bertrand', 'Morel', 'Fournier', 'Girard',
  'Bonnet', 'Dupont', 'Lambert', 'Fontaine', 'Rousseau', 'Vincent', 'Muller', 'Lefèvre', 'Faure', 'André',
  'Mercier', 'Blanc', 'Guérin', 'Boyer', 'Garnier', 'Chevalier', 'François', 'Legrand', 'Gauthier', 'Garcia',
  'Perrin', 'Robin', 'Clément', 'Morin', 'Nicolas', 'Henry', 'Roussel', 'Mathieu', 'Gautier', 'Masson',
  'Marchand', 'Duval', 'Denis', 'Dumont', 'Marie', 'Lemaire', 'Noël', 'Meyer', 'Dufour', 'Meunier',
  'Brun', 'Blanchard', 'Giraud', 'Joly', 'Rivière', 'Lucas', 'Brunet', 'Gaillard', 'Barbier', 'Arnaud',
  'Martinez', 'Gérard', 'Roche', 'Renard', 'Schmitt', 'Roy', 'Leroux', 'Colin', 'Vidal', 'Caron',
  'Picard', 'Roger', 'Fabre', 'Aubert', 'Lemoine', 'Renaud', 'Dumas', 'Lacroix', 'Olivier', 'Philippe',
  'Bourgeois', 'Pierre', 'Benoît', 'Rey', 'Leclerc', 'Payet', 'Rolland', 'Leclercq', 'Guillaume', 'Lecomte',
  'Lopez', 'Jean', 'Dupuy', 'Guillot', 'Hubert', 'Berger', 'Carpentier', 'Sanchez', 'Dupuis', 'Moulin',
  'Louis', 'Deschamps', 'Huet', 'Vasseur', 'Perez', 'Boucher', 'Fleury', 'Royer', 'Klein', 'Jacquet',
  'Adam', 'Paris', 'Poirier', 'Marty', 'Aubry', 'Guyot', 'Carré', 'Charles', 'Renault', 'Charpentier',
  'Ménard', 'Maillard', 'Baron', 'Bertin', 'Bailly', 'Hervé', 'Schneider', 'Fernandez', 'Le Gall', 'Collet',
  'Léger', 'Bouvier', 'Julien', 'Prévost', 'Millet', 'Perrot', 'Daniel', 'Le Roux', 'Cousin', 'Germain',
  'Breton', 'Besson', 'Langlois', 'Rémy', 'Le Goff', 'Pelletier', 'Lévêque', 'Perrier', 'Leblanc', 'Barré',
  'Lebrun', 'Marchal', 'Weber', 'Mallet', 'Hamon', 'Boulanger', 'Jacob', 'Monnier', 'Michaud', 'Rodriguez',
  'Guichard', 'Gillet', 'Étienne', 'Grondin', 'Poulain', 'Tessier', 'Chevallier', 'Collin', 'Chauvin', 'Da Silva',
];

// prettier-ignore
const FIRST_NAMES = {
  male: [
    'Jean', 'Pierre', 'Michel', 'André', 'Philippe', 'Nicolas', 'Thomas', 'Julien', 'Alexandre', 'Antoine',
    'Maxime', 'Kevin', 'Lucas', 'Hugo', 'Louis', 'Théo', 'Nathan', 'Enzo', 'Mathis', 'Gabriel',
    'Léo', 'Raphaël', 'Arthur', 'Jules', 'Adam', 'Mohamed', 'Yanis', 'Rayan', 'Karim', 'Sébastien',
    'Christophe', 'Stéphane', 'Frédéric', 'David', 'Laurent', 'Olivier', 'Éric', 'Patrick', 'Thierry', 'Romain',
    'Guillaume', 'Florian', 'Anthony', 'Jérôme', 'Vincent', 'Benjamin', 'Quentin', 'Clément', 'Baptiste', 'Damien',
    'Mickaël', 'Cédric', 'Franck', 'Ludovic', 'Mathieu', 'Yannick', 'Dylan', 'Loïc', 'Samuel', 'Noah',
  ],
  female: [
    'Marie', 'Nathalie', 'Isabelle', 'Sylvie', 'Catherine', 'Sandrine', 'Céline', 'Stéphanie', 'Aurélie', 'Julie',
    'Camille', 'Léa', 'Manon', 'Chloé', 'Emma', 'Inès', 'Sarah', 'Laura', 'Pauline', 'Marine',
    'Mélanie', 'Émilie', 'Audrey', 'Claire', 'Charlotte', 'Lucie', 'Anaïs', 'Jade', 'Louise', 'Alice',
    'Lina', 'Clara', 'Juliette', 'Zoé', 'Élodie', 'Virginie', 'Valérie', 'Christine', 'Sophie', 'Caroline',
    'Laetitia', 'Amandine', 'Jessica', 'Océane', 'Morgane', 'Justine', 'Fatima', 'Sabrina', 'Nadia', 'Yasmine',
    'Agathe', 'Margaux', 'Mathilde', 'Élise', 'Anne', 'Martine', 'Françoise', 'Monique', 'Hélène', 'Sandra',
  ],
};

const STREET_KINDS = ['rue', 'rue', 'rue', 'avenue', 'boulevard', 'impasse', 'allée', 'place', 'chemin', 'cours'];

// prettier-ignore
const STREET_NAMES = [
  'Victor Hugo', 'Jean Jaurès', 'de la République', 'Pasteur', 'du Général de Gaulle', 'des Lilas', 'de la Gare',
  'Gambetta', 'Émile Zola', 'Voltaire', 'Jean Moulin', 'de l’Église', 'des Écoles', 'du Moulin', 'Carnot',
  'de Verdun', 'de la Liberté', 'Anatole France', 'du Château', 'des Acacias', 'de la Paix', 'des Vignes',
  'Montesquieu', 'François Mauriac', 'de la Garonne', 'des Pins', 'du Port', 'Sainte-Catherine', 'Aristide Briand',
  'de la Mairie',
];

function pick<T>(items: readonly T[]): T {
  return items[randomInt(0, items.length)]!;
}

/**
 * Randomness nobody else holds (the system's), with names and streets of its own: what the guard
 * draws its canaries from, so that no seed and no code outside reproduces them.
 */
export function randomDraw(): Draw {
  return {
    int: (min, max) => randomInt(min, max + 1),
    unit: () => randomInt(0, 2 ** 47) / 2 ** 47,
    lastName: () => pick(LAST_NAMES),
    firstName: (sex) => pick(FIRST_NAMES[sex]),
    streetAddress: () => {
      const kind = pick(STREET_KINDS);
      return `${randomInt(1, 200)} ${kind[0]!.toUpperCase()}${kind.slice(1)} ${pick(STREET_NAMES)}`;
    },
  };
}
