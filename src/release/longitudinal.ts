/**
 * Several releases of one person (sdc.md): a longitudinal project's releases share pseudonyms,
 * so a researcher can join them, and what protects a person is the union of what every
 * approved release said about them. The ledger (one row per release, pseudonym and key
 * variable: the value as released, or null, and whether disclosure control withheld a value
 * the person had) is that union's memory; this module makes a new release consistent with it:
 *  1. suppressed once, suppressed always: a value withheld from a person in any approved
 *     release is withheld again;
 *  2. the k-check runs on the combined persons: each person of the project's approved releases
 *     and of the new one, described per key variable by the SET of values released for them
 *     (null when none; a set is its own category, null matches null only, as in k-anonymity.ts),
 *     and every combination of sets is shared by at least k persons;
 *  3. so a released value that differs from what was released before is never the only thing
 *     that differs: a person whose new values change their combined tuple, when that tuple's
 *     group, or the group they leave behind, falls under k, has the new values withheld
 *     (reverting them to what is already known); the new release on its own stays
 *     k-anonymous too (a violator there loses its least important value).
 * The rounds only ever null cells of the new release, so they end; when every remaining
 * violation is of persons whose new values are all withheld, the release is refused
 * (KOPPEL_ERR_RELEASE_LONGITUDINAL_UNSAFE). Populations under k are all null, as in a single
 * release (k-anonymity.ts, `population_below_k`).
 *
 * Values are compared as the released text (the ledger is SQLite text), so this step makes a
 * string per person and key variable: it runs once per build over persons, not over rows.
 */
import { makeVector, type Data } from 'apache-arrow';
import { KoppelError } from '../errors.js';
import { groupByCodes, type Grouping } from './group-codes.js';
import { takeRows } from './take.js';

/** One ledger row: what one release said about one person's key variable. */
export interface LedgerEntry {
  readonly pseudonym: string;
  readonly variable: string;
  /** The value as released, as text; null when nothing was released. */
  readonly value: string | null;
  /** Disclosure control withheld a value the person had (suppressed or generalised to `*`). */
  readonly suppressed: boolean;
}

export interface LedgerInput {
  /** Rows of every approved release of the project (any order). */
  readonly history: readonly LedgerEntry[];
  /** Approved releases the history covers (for the report). */
  readonly priorReleases: number;
}

export interface LedgerReport {
  readonly prior_releases: number;
  /** Persons of all approved releases and this one. */
  readonly combined_persons: number;
  /** Values withheld in this release because an earlier release withheld them. */
  readonly suppressed_as_before: number;
  /** Values withheld in this release so that the combined persons stay k-anonymous. */
  readonly suppressed_for_union: number;
  /** The smallest combined group (0 when there are no persons). */
  readonly smallest_combined_group: number;
}

export interface ConsistentRelease {
  /** The key columns (pseudonym order), with the withheld cells gathered as null. */
  readonly columns: Data[];
  /** This release's ledger rows. */
  readonly entries: LedgerEntry[];
  readonly report: LedgerReport;
}

/** Text of each cell (null for null): once per person and key variable. */
function cellTexts(data: Data): (string | null)[] {
  const vector = makeVector(data);
  const out: (string | null)[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = vector.isValid(i) ? String(vector.get(i)) : null;
  return out;
}

/** Interns strings to dense codes, per variable. */
class Interner {
  private readonly map = new Map<string, number>();
  code(text: string | null): number {
    if (text === null) return -1;
    let c = this.map.get(text);
    if (c === undefined) {
      c = this.map.size;
      this.map.set(text, c);
    }
    return c;
  }
  get size(): number { return this.map.size; }
}

interface Union {
  readonly size: number;
  /** Per variable, per union person: released values before this release (sorted). */
  readonly before: string[][][];
  /** Per variable, per union person: withheld in an earlier release. */
  readonly withheldBefore: Uint8Array[];
}

function unionOf(pseudonyms: readonly string[], variables: readonly string[], history: readonly LedgerEntry[]): Union {
  const index = new Map<string, number>();
  pseudonyms.forEach((p, i) => index.set(p, i));
  for (const e of history) if (!index.has(e.pseudonym)) index.set(e.pseudonym, index.size);
  const at = new Map(variables.map((v, i) => [v, i]));
  const before = variables.map(() => Array.from({ length: index.size }, () => [] as string[]));
  const withheldBefore = variables.map(() => new Uint8Array(index.size));
  for (const e of history) {
    const v = at.get(e.variable);
    if (v === undefined) continue; // a key variable the project no longer releases
    const u = index.get(e.pseudonym)!;
    if (e.suppressed) withheldBefore[v][u] = 1;
    if (e.value !== null && !before[v][u].includes(e.value)) before[v][u].push(e.value);
  }
  for (const list of before) for (const values of list) values.sort();
  return { size: index.size, before, withheldBefore };
}

/** The combined set of variable v for union person u, as one text (null: empty). */
function combined(union: Union, now: readonly (string | null)[][], v: number, u: number, withNew: boolean): string | null {
  const values = union.before[v][u];
  const fresh = withNew && u < now[v].length ? now[v][u] : null;
  if (fresh === null || values.includes(fresh)) return values.length === 0 ? null : values.join('\u0000');
  return [...values, fresh].sort().join('\u0000');
}

interface Round {
  readonly union: Union;
  readonly now: (string | null)[][];
  readonly persons: number;
  readonly k: number;
}

/** Per new person, 1 when it must lose values in this round (a: combined, b: left behind, c: alone). */
function violators(round: Round): { revert: Uint8Array; drop: Uint8Array; smallest: number; alone: Grouping } {
  const { union, now, persons, k } = round;
  const vars = now.length;
  const interners = now.map(() => new Interner());
  // Rows 0..size-1: combined tuples; then one extra row per new person: its tuple before.
  const rows = union.size + persons;
  const codes = now.map((_, v) => {
    const c = new Int32Array(rows);
    for (let u = 0; u < union.size; u++) c[u] = interners[v].code(combined(union, now, v, u, true));
    for (let i = 0; i < persons; i++) c[union.size + i] = interners[v].code(combined(union, now, v, i, false));
    return c;
  });
  const grouping = groupByCodes(codes, interners.map((x) => x.size), rows);
  const real = new Int32Array(grouping.count);
  for (let u = 0; u < union.size; u++) real[grouping.groupOf[u]]++;
  const revert = new Uint8Array(persons);
  let smallest = union.size === 0 ? 0 : Infinity;
  for (let g = 0; g < grouping.count; g++) if (real[g] > 0) smallest = Math.min(smallest, real[g]);
  // A union under k persons is all null (population_below_k), as a single release would be.
  for (let i = 0; i < persons && union.size >= k; i++) {
    const mine = grouping.groupOf[i];
    const left = grouping.groupOf[union.size + i];
    if (real[mine] < k || (left !== mine && real[left] > 0 && real[left] < k)) revert[i] = 1;
  }
  // The new release alone.
  const alone = now.map((column, v) => {
    const c = new Int32Array(persons);
    for (let i = 0; i < persons; i++) c[i] = interners[v].code(column[i]);
    return c;
  });
  const own = groupByCodes(alone, interners.map((x) => x.size), persons);
  const drop = new Uint8Array(persons);
  if (persons >= k) for (let i = 0; i < persons; i++) if (own.size[own.groupOf[i]] < k) drop[i] = 1;
  if (vars === 0) drop.fill(0);
  return { revert, drop, smallest: smallest === Infinity ? 0 : smallest, alone: own };
}

/**
 * Makes the key columns of a new release (pseudonym order; `leaf` the codes before disclosure
 * control, `codes` after it: a value became null where it was withheld) consistent with the ledger of the project's approved
 * releases, and returns this release's ledger rows. `codes` (the released codes) are nulled
 * along, so that what follows them (the period column) sees the withheld cells.
 */
export function keepConsistent(
  pseudonymColumn: Data, variables: readonly string[], columns: readonly Data[], leaf: readonly Int32Array[],
  codes: readonly Int32Array[], k: number, ledger: LedgerInput,
): ConsistentRelease {
  const withheld = leaf.map((before, v) => before.map((c, i) => (c >= 0 && codes[v][i] < 0 ? 1 : 0)));
  const pseudonyms = cellTexts(pseudonymColumn) as string[];
  const persons = pseudonyms.length;
  const union = unionOf(pseudonyms, variables, ledger.history);
  const now = columns.map(cellTexts);
  const nulled = variables.map(() => new Uint8Array(persons));
  let asBefore = 0;
  let forUnion = 0;
  const withhold = (v: number, i: number): void => {
    now[v][i] = null;
    nulled[v][i] = 1;
  };
  for (let v = 0; v < variables.length; v++) {
    for (let i = 0; i < persons; i++) {
      if (union.withheldBefore[v][i] === 1 && now[v][i] !== null) {
        withhold(v, i);
        asBefore++;
      }
    }
  }
  const round: Round = { union, now, persons, k };
  let smallest = 0;
  for (;;) {
    const found = violators(round);
    smallest = found.smallest;
    let moved = 0;
    for (let i = 0; i < persons; i++) {
      let mine = 0;
      if (found.revert[i] === 1) {
        for (let v = 0; v < variables.length; v++) {
          const value = now[v][i];
          if (value !== null && !union.before[v][i].includes(value)) { withhold(v, i); mine++; }
        }
      }
      if (found.drop[i] === 1 && mine === 0) {
        for (let v = variables.length - 1; v >= 0; v--) if (now[v][i] !== null) { withhold(v, i); mine++; break; }
      }
      moved += mine;
    }
    // Violators of the release on its own with nothing left: the all-null group needs members.
    for (let pass = 0; pass < 4 && moved === 0 && found.drop.includes(1); pass++) moved += fillAllNull(round, found.alone, pass, withhold);
    forUnion += moved;
    if (moved > 0) continue;
    if (found.revert.some((x) => x === 1) || found.drop.some((x) => x === 1)) {
      throw new KoppelError('KOPPEL_ERR_RELEASE_LONGITUDINAL_UNSAFE',
        `the combined persons of project releases cannot stay ${k}-anonymous with this release: ${found.revert.filter((x) => x === 1).length} of its ${persons} persons are in groups under k with nothing left to withhold`,
        { persons, k, prior_releases: ledger.priorReleases });
    }
    break;
  }
  return finish(columns, nulled, withheld, codes, pseudonyms, variables, now, {
    prior_releases: ledger.priorReleases, combined_persons: union.size,
    suppressed_as_before: asBefore, suppressed_for_union: forUnion, smallest_combined_group: smallest,
  });
}

/**
 * Persons join the all-null group of the new release until it holds k, in passes that cost
 * more each: persons whose released values are all known from earlier releases (withholding
 * them changes nothing in the union) before any (odd passes), taken from groups that can spare
 * them or violate anyway before whole groups (passes 2 and 3). Returns the values withheld.
 */
function fillAllNull(round: Round, alone: Grouping, pass: number, withhold: (v: number, i: number) => void): number {
  const knownOnly = pass % 2 === 0;
  const whole = pass >= 2;
  const { now, union, k } = round;
  const isNull = (i: number): boolean => now.every((column) => column[i] === null);
  const known = (i: number): boolean => now.every((column, v) => column[i] === null || union.before[v][i].includes(column[i]!));
  let need = k;
  for (let i = 0; i < round.persons; i++) if (isNull(i)) need--;
  let moved = 0;
  for (let g = 0; g < alone.count && need > 0; g++) {
    let spare = whole || alone.size[g] < k ? alone.size[g] : alone.size[g] - k;
    for (let j = alone.start[g]; j < alone.start[g] + alone.size[g] && spare > 0 && need > 0; j++) {
      const i = alone.order[j];
      if (isNull(i) || (knownOnly && !known(i))) continue;
      for (let v = 0; v < now.length; v++) if (now[v][i] !== null) { withhold(v, i); moved++; }
      spare--;
      need--;
    }
  }
  return moved;
}

function finish(
  columns: readonly Data[], nulled: readonly Uint8Array[], withheld: readonly Int32Array[], codes: readonly Int32Array[],
  pseudonyms: readonly string[], variables: readonly string[], now: readonly (string | null)[][], report: LedgerReport,
): ConsistentRelease {
  const persons = pseudonyms.length;
  const out = columns.map((column, v) => {
    if (!nulled[v].includes(1)) return column;
    const rows = new Int32Array(persons);
    for (let i = 0; i < persons; i++) {
      rows[i] = nulled[v][i] === 1 ? -1 : i;
      if (nulled[v][i] === 1) codes[v][i] = -1;
    }
    return takeRows([column], rows);
  });
  const entries: LedgerEntry[] = [];
  for (let i = 0; i < persons; i++) {
    for (let v = 0; v < variables.length; v++) {
      entries.push({ pseudonym: pseudonyms[i], variable: variables[v], value: now[v][i], suppressed: withheld[v][i] === 1 || nulled[v][i] === 1 });
    }
  }
  return { columns: out, entries, report };
}
