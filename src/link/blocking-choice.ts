/**
 * Automatic choice of blocking rules from field selectivity.
 *
 * Recall comes from the union: a true pair is lost only when it disagrees on every rule, so the
 * engine takes one rule per informative field (its whole value; for names also the phonetic
 * code), each as coarse as the pair budget allows. A field too common on its own (a given name,
 * a postcode) is paired with the two partners that keep it under budget with the most pairs (the
 * coarsest acceptable conjunctions). Pair counts come from key counts, without producing pairs.
 */
import { KoppelError } from '../errors.js';
import type { FieldType } from '../model.js';
import type { BlockingRule, RuleSet, SourcePair } from './blocking.js';
import { heldRuleKeys, type HeldRecords } from './held-keys.js';
import { countRulePairs, ruleKeys } from './rule-keys.js';
import { slotIndex, TOKEN_SLOTS } from '../pseudonymise/encoded-source.js';
import { fullLinkSample, incrementalSample } from './choice-sample.js';
import type { FieldIndex } from './field-index.js';
import type { LinkFrame } from './link-frame.js';
import type { LinkSettings } from './link-settings.js';

/** Field types that carry too little information to block on alone or to pair with. */
const NEVER_ALONE: ReadonlySet<FieldType> = new Set(['sex', 'national_id']);

export interface RuleChoice {
  readonly rule: BlockingRule;
  readonly estimatedPairs: number;
  /** The rule's keys (`ruleKeys`), computed for the choice and handed on to blocking. */
  readonly keys: Int32Array[];
}

/** The run's blocking rules: the job's own, or chosen by the engine within the pair budget. */
export function blockingRules(frame: LinkFrame, settings: LinkSettings, saturated: Saturated = () => null): RuleSet {
  const S = frame.sources.length;
  const held = frame.incremental === undefined ? undefined : heldRecords(frame, frame.incremental.newSources, saturated);
  const keyed = (rules: BlockingRule[], chosenBy: RuleSet['chosenBy']): RuleSet => {
    if (held === undefined) return { rules, keys: rules.map((rule) => ruleKeys(rule, frame.index, S)), chosenBy };
    const each = rules.map((rule) => heldRuleKeys(rule, frame.index, held));
    return { rules, keys: each.map((k) => k.keys), withKey: each.map((k) => k.withKey), chosenBy };
  };
  if (settings.blocking !== null) return keyed(settings.blocking.map((names) => parseRule(names, frame.index)), 'job');
  const budget = Math.max(settings.minRulePairs, settings.rulePairsPerRecord * frame.totalRecords * (frame.incremental?.budgetShare ?? 1));
  // An incremental run counts pairs on a sample of the spine (work in proportion to the new
  // records, not to the spine), a full link over a large source on a sample of every large
  // source (choice-sample.ts); both then key only the rules they chose on the whole index.
  const sample = frame.incremental === undefined
    ? fullLinkSample(frame.index, frame.sources.map((s) => s.size))
    : incrementalSample(frame.index, frame.sources);
  if (sample === null) {
    const chosen = chooseBlockingRules(frame.index, S, frame.sourcePairs, budget);
    return { rules: chosen.map((c) => c.rule), keys: chosen.map((c) => c.keys), chosenBy: 'engine' };
  }
  return keyed(chooseBlockingRules(sample.index, S, frame.sourcePairs, budget, sample.weights).map((c) => c.rule), 'engine');
}

/** `saturated(s, t)`: per record of s, 1 when it can take no further record of t (deterministic.ts `saturation`). */
type Saturated = (s: number, t: number) => Uint8Array | null;

/**
 * The records an incremental run keys (held-keys.ts `HeldRecords`): the new records that some
 * source pair of the run could still pair, i.e. not saturated towards every source they are
 * compared with. With national numbers on most records, most new records are linked to their
 * spine records already and take no other: the rest are the few whose keys matter.
 */
function heldRecords(frame: LinkFrame, newSources: readonly boolean[], saturated: Saturated): HeldRecords {
  return frame.sources.map((src, n) => {
    if (!newSources[n]) return null;
    const held = new Uint8Array(src.size);
    for (const sp of frame.sourcePairs) {
      if (sp.left !== n && sp.right !== n) continue;
      const sat = saturated(n, sp.left === n ? sp.right : sp.left);
      if (sat === null) return held.fill(1);
      for (let r = 0; r < held.length; r++) if (sat[r] === 0) held[r] = 1;
    }
    return held;
  });
}

/** A job's rule (`["surname", "date_of_birth.ym"]`) as token slots of its fields. */
function parseRule(names: readonly string[], index: readonly FieldIndex[]): BlockingRule {
  if (names.length === 0) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', 'A blocking rule names no field.', {});
  return names.map((entry) => {
    const [name, slot = ''] = entry.split('.');
    const fi = index.find((x) => x.name === name);
    if (fi === undefined) throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Blocking rule names field ${name}, which the job does not define.`, { field: name });
    if (slot !== '' && !TOKEN_SLOTS[fi.type].includes(slot)) {
      throw new KoppelError('KOPPEL_ERR_LINK_BAD_JOB', `Blocking rule on field ${name}: type ${fi.type} has no part ${slot} (parts: ${TOKEN_SLOTS[fi.type].join(', ')}).`, { field: name });
    }
    return { field: fi.field, slot: slot === '' ? 0 : slotIndex(fi.type, slot) };
  });
}

export function chooseBlockingRules(
  index: readonly FieldIndex[],
  sourceCount: number,
  sourcePairs: readonly SourcePair[],
  budget: number, weights: readonly number[] | null = null,
): RuleChoice[] {
  // Keys are kept only for rules within budget (the candidates): a few hundred MB otherwise.
  const cache = new Map<string, { keys: Int32Array[] | null; pairs: number }>();
  const evaluate = (rule: BlockingRule) => {
    const id = rule.map((k) => `${k.field}.${k.slot}`).sort().join('+');
    let e = cache.get(id);
    if (e === undefined) {
      const keys = ruleKeys(rule, index, sourceCount);
      const pairs = countRulePairs(keys, sourcePairs, weights);
      e = { keys: pairs <= budget ? keys : null, pairs };
      cache.set(id, e);
    }
    return e;
  };

  const singles: BlockingRule[] = [];
  for (const fi of index) {
    if (NEVER_ALONE.has(fi.type) || fi.present === 0) continue;
    singles.push([{ field: fi.field, slot: 0 }]);
    if (fi.type === 'given_name' || fi.type === 'surname' || fi.type === 'name') {
      singles.push([{ field: fi.field, slot: slotIndex(fi.type, 'phonetic') }]);
    }
    // Registers differ in how many given names they keep: block on the first one too.
    if (fi.type === 'given_name') singles.push([{ field: fi.field, slot: slotIndex(fi.type, 'first') }]);
  }
  const partners = index.filter((fi) => fi.present > 0 && fi.type !== 'national_id');

  const chosen: RuleChoice[] = [];
  const seen = new Set<string>();
  const add = (rule: BlockingRule, pairs: number, keys: Int32Array[]) => {
    const id = rule.map((k) => `${k.field}.${k.slot}`).sort().join('+');
    if (seen.has(id) || pairs <= 0) return;
    seen.add(id);
    chosen.push({ rule, estimatedPairs: pairs, keys });
  };
  for (const single of singles) {
    const e = evaluate(single);
    if (e.keys !== null) { add(single, e.pairs, e.keys); continue; }
    // Too common alone: the two coarsest conjunctions with another field that fit the budget
    // (two, so that an error or a move in one partner does not lose the pair).
    const fits: { rule: BlockingRule; pairs: number; keys: Int32Array[] }[] = [];
    for (const p of partners) {
      if (p.field === single[0].field) continue;
      const rule: BlockingRule = [single[0], { field: p.field, slot: 0 }];
      const pe = evaluate(rule);
      if (pe.keys !== null && pe.pairs > 0) fits.push({ rule, pairs: pe.pairs, keys: pe.keys });
    }
    fits.sort((x, y) => y.pairs - x.pairs);
    for (const f of fits.slice(0, 2)) add(f.rule, f.pairs, f.keys);
  }
  // A field in every rule is a single point of failure: one error in it (a mistyped birth date)
  // and the pair is in no block. On large sources only the most selective field's conjunctions
  // fit the budget, so that is what happens at scale; then add the coarsest conjunctions of
  // two, else three, other fields that fit.
  const informative = new Set<number>();
  for (const c of chosen) for (const k of c.rule) if (!NEVER_ALONE.has(index[k.field].type)) informative.add(k.field);
  for (const field of informative) {
    if (chosen.some((c) => !c.rule.some((k) => k.field === field))) continue;
    const others = partners.filter((p) => p.field !== field).map((p) => p.field);
    const fits: { rule: BlockingRule; pairs: number; keys: Int32Array[] }[] = [];
    const tryRule = (fields: number[]) => {
      const rule: BlockingRule = fields.map((f) => ({ field: f, slot: 0 }));
      const e = evaluate(rule);
      if (e.keys !== null && e.pairs > 0) fits.push({ rule, pairs: e.pairs, keys: e.keys });
    };
    for (let i = 0; i < others.length; i++) for (let j = i + 1; j < others.length; j++) tryRule([others[i], others[j]]);
    if (fits.length < 2) {
      for (let i = 0; i < others.length; i++) for (let j = i + 1; j < others.length; j++) for (let k = j + 1; k < others.length; k++) tryRule([others[i], others[j], others[k]]);
    }
    fits.sort((x, y) => y.pairs - x.pairs);
    for (const f of fits.slice(0, 2)) add(f.rule, f.pairs, f.keys);
  }
  // Most selective first: the earlier a pair is produced, the cheaper its duplicate checks.
  return chosen.sort((x, y) => x.estimatedPairs - y.estimatedPairs);
}
