/**
 * Flemish municipalities: 5-digit NIS code, main postcode, and a weight for where the
 * synthetic people live. Codes are those in use before the 2025 mergers.
 *
 * The weights are skewed on purpose: big cities hold most people and a long tail of small
 * municipalities holds a few each, so that with key variables (birth_year, sex, nis_code)
 * and k = 5 a release has to suppress some values (the tail) but not most (the cities).
 */
export interface Municipality {
  readonly nis: string;
  readonly postcode: string;
  readonly name: string;
  readonly weight: number;
}

const TABLE: readonly (readonly [string, string, string, number])[] = [
  // large cities
  ['11002', '2000', 'Antwerpen', 700],
  ['44021', '9000', 'Gent', 420],
  ['31005', '8000', 'Brugge', 55],
  ['24062', '3000', 'Leuven', 55],
  ['12025', '2800', 'Mechelen', 45],
  ['41002', '9300', 'Aalst', 40],
  ['71022', '3500', 'Hasselt', 38],
  ['71016', '3600', 'Genk', 35],
  ['34022', '8500', 'Kortrijk', 35],
  ['46021', '9100', 'Sint-Niklaas', 30],
  ['35013', '8400', 'Oostende', 28],
  ['36015', '8800', 'Roeselare', 22],
  ['13040', '2300', 'Turnhout', 18],
  ['23088', '1800', 'Vilvoorde', 18],
  ['42006', '9200', 'Dendermonde', 14],
  // mid-sized towns
  ['12021', '2500', 'Lier', 10],
  ['13008', '2440', 'Geel', 10],
  ['33011', '8900', 'Ieper', 9],
  ['24107', '3300', 'Tienen', 9],
  ['23027', '1500', 'Halle', 9],
  ['71053', '3800', 'Sint-Truiden', 9],
  ['41048', '9400', 'Ninove', 8],
  ['11008', '2930', 'Brasschaat', 8],
  ['23094', '1930', 'Zaventem', 8],
  ['72020', '3920', 'Lommel', 8],
  ['71004', '3580', 'Beringen', 8],
  ['73107', '3630', 'Maasmechelen', 8],
  ['44083', '9800', 'Deinze', 7],
  ['43005', '9900', 'Eeklo', 6],
  ['45035', '9700', 'Oudenaarde', 6],
  // long tail of small municipalities
  ['31043', '8300', 'Knokke-Heist', 3],
  ['13002', '2387', 'Baarle-Hertog', 1],
  ['73028', '3717', 'Herstappe', 0.3],
  ['33016', '8957', 'Mesen', 0.4],
  ['31042', '8377', 'Zuienkerke', 1],
  ['33041', '8640', 'Vleteren', 1],
  ['34043', '8587', 'Spiere-Helkijn', 1],
  ['73109', '3790', 'Voeren', 1],
  ['23100', '1630', 'Linkebeek', 1],
  ['23098', '1620', 'Drogenbos', 1],
  ['38002', '8690', 'Alveringem', 1],
  ['33039', '8950', 'Heuvelland', 2],
  ['45062', '9667', 'Horebeke', 0.5],
  ['71017', '3890', 'Gingelom', 2],
  ['72037', '3930', 'Hamont-Achel', 2],
  ['13036', '2470', 'Retie', 2],
  ['13006', '2480', 'Dessel', 2],
  ['13035', '2380', 'Ravels', 2],
  ['23032', '1540', 'Herne', 1],
  ['23009', '1547', 'Bever', 0.5],
  ['24137', '3380', 'Glabbeek', 1],
  ['24130', '3440', 'Zoutleeuw', 2],
  ['24008', '3460', 'Bekkevoort', 1],
  ['24055', '3470', 'Kortenaken', 1],
  ['72041', '3640', 'Kinrooi', 2],
  ['72025', '3990', 'Peer', 3],
  ['72003', '3950', 'Bocholt', 2],
  ['73066', '3770', 'Riemst', 3],
  ['73042', '3620', 'Lanaken', 4],
  ['23103', '1970', 'Wezembeek-Oppem', 2],
  ['45061', '9790', 'Wortegem-Petegem', 1],
  ['32030', '8647', 'Lo-Reninge', 0.5],
  ['11001', '2630', 'Aartselaar', 2],
  ['11004', '2530', 'Boechout', 2],
  ['11056', '2070', 'Zwijndrecht', 3],
  ['12007', '2880', 'Bornem', 3],
  ['13019', '2275', 'Lille', 2],
  ['13053', '2430', 'Laakdal', 2],
  ['13013', '2235', 'Hulshout', 1],
];

export const MUNICIPALITIES: readonly Municipality[] = TABLE.map(([nis, postcode, name, weight]) => ({ nis, postcode, name, weight }));
export const MUNICIPALITY_WEIGHTS: readonly number[] = MUNICIPALITIES.map((m) => m.weight);
