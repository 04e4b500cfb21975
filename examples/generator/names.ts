/**
 * Common given names and surnames in Flanders and Brussels, as separate lists: people get a
 * random given name and a random surname, so any resemblance of a combination to a real
 * person is chance. Accents, particles and apostrophes are included on purpose: they are
 * what normalisation and approximate comparison must cope with.
 */
export const GIVEN_NAMES_MALE: readonly string[] = [
  'Jan', 'Pieter', 'Tom', 'Bart', 'Koen', 'Wouter', 'Stijn', 'Jeroen', 'Kevin', 'Thomas',
  'Lucas', 'Noah', 'Arthur', 'Louis', 'Liam', 'Jules', 'Victor', 'Finn', 'Lars', 'Milan',
  'Wim', 'Dirk', 'Luc', 'Marc', 'Patrick', 'Geert', 'Filip', 'Johan', 'Erik', 'Frank',
  'Mohamed', 'Youssef', 'Ayoub', 'Mehmet', 'Emre', 'Adam', 'Rayan', 'Karim', 'Jonas', 'Robbe',
  'Seppe', 'Wout', 'Maarten', 'Joris', 'Dries', 'Nicolas', 'Mathias', 'Brecht', 'Ruben', 'Niels',
  'Noël', 'José', 'Jérôme', 'Frédéric', 'Ömer', 'Rémi', 'François', 'Piotr', 'Tomasz', 'Andrei',
];

export const GIVEN_NAMES_FEMALE: readonly string[] = [
  'Marie', 'Sofie', 'An', 'Els', 'Katrien', 'Sarah', 'Laura', 'Julie', 'Lien', 'Eline',
  'Emma', 'Olivia', 'Louise', 'Mila', 'Nora', 'Elena', 'Lina', 'Fien', 'Noor', 'Lotte',
  'Hilde', 'Greet', 'Ann', 'Martine', 'Veerle', 'Inge', 'Nathalie', 'Karen', 'Evi', 'Tine',
  'Fatima', 'Amira', 'Yasmina', 'Elif', 'Zeynep', 'Aya', 'Salma', 'Hanne', 'Lore', 'Jana',
  'Femke', 'Ine', 'Charlotte', 'Ellen', 'Leen', 'Silke', 'Margot', 'Amber', 'Febe', 'Nele',
  'Zoë', 'Anaïs', 'Chloé', 'Hélène', 'Noémie', 'Céline', 'Mathilde', 'Agnieszka', 'Ioana', 'Gülsen',
];

export const SURNAMES: readonly string[] = [
  'Peeters', 'Janssens', 'Maes', 'Jacobs', 'Mertens', 'Willems', 'Claes', 'Goossens', 'Wouters', 'De Smet',
  'Dubois', 'Lambert', 'Dupont', 'Vermeulen', 'Pauwels', 'Hermans', 'Aerts', 'Van Damme', 'Michiels', 'Martens',
  'Van den Broeck', 'Van de Velde', 'De Vos', 'De Backer', 'Desmet', 'Verstraete', 'Smets', 'Leclercq', 'Coppens', 'Segers',
  'Van Dyck', 'Van Acker', 'De Clercq', 'Declercq', 'Verhoeven', 'Cools', 'Stevens', 'Lemmens', 'Jansen', 'Bogaerts',
  'Van Hecke', 'De Wilde', 'Van Laere', "D'Hondt", "D'Hooghe", 'Vanderhaegen', 'Vandenberghe', 'Timmermans', 'Verbeke', 'Vermeersch',
  'Öztürk', 'Yılmaz', 'Şahin', 'Kaya', 'Demir', 'El Amrani', 'Benali', 'El Idrissi', 'Bouzid', 'Haddad',
  'Nowak', 'Kowalski', 'Popescu', 'Lefèvre', 'Noël', 'Müller', 'François', 'Geerts', 'Van Looy', 'Van der Auwera',
];

/** Surnames whose particles suppliers also write joined or in capitals. */
export const PARTICLE_PATTERN = /^(Van den|Van der|Van de|Van|De|El|D')\s?/;
