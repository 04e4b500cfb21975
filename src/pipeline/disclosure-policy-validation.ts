/**
 * Project fields of disclosure control beyond k (validated with the rest of a project spec):
 * `hierarchies` (release/hierarchy.ts), `suppression_limit` and `sensitive` (l-diversity).
 * The lattice the hierarchies span is bounded here, so that a release build never meets one
 * too large to search.
 */
import type { ProjectSpec } from '../model.js';
import { hierarchyProblems } from '../release/hierarchy.js';
import { MAX_LATTICE_NODES } from '../release/lattice.js';

const isInt = (x: unknown, min: number, max: number): boolean => Number.isInteger(x) && (x as number) >= min && (x as number) <= max;

function specShapeProblems(name: string, spec: unknown): string[] {
  const r = spec as Record<string, unknown> | null;
  const keys = r === null || typeof r !== 'object' || Array.isArray(r) ? [] : Object.keys(r);
  const what = `hierarchies.${name}`;
  if (keys.length !== 1 || !['bands', 'prefixes', 'groups'].includes(keys[0]) || !Array.isArray(r![keys[0]])) {
    return [`${what} must be { "bands": [n, ...] }, { "prefixes": [n, ...] } or { "groups": [{ "value": "group" }, ...] }`];
  }
  const levels = r![keys[0]] as unknown[];
  if (levels.length < 1 || levels.length > 10) return [`${what} must have 1 to 10 levels`];
  const ok = keys[0] === 'bands' ? levels.every((b) => isInt(b, 2, 1000))
    : keys[0] === 'prefixes' ? levels.every((p) => isInt(p, 1, 20))
      : levels.every((g) => typeof g === 'object' && g !== null && !Array.isArray(g) && Object.values(g).every((x) => typeof x === 'string'));
  if (!ok) return [`${what}: bands are integers 2..1000, prefixes 1..20, groups map values to group labels`];
  return hierarchyProblems(r as never).map((p) => `${what}: ${p}`);
}

/** Problems with the disclosure-control fields; `offered` holds the approved attributes. */
export function disclosurePolicyProblems(p: Partial<ProjectSpec>, offered: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const keys = Array.isArray(p.key_variables) ? p.key_variables : [];
  if (p.hierarchies !== undefined) {
    if (typeof p.hierarchies !== 'object' || p.hierarchies === null || Array.isArray(p.hierarchies)) problems.push('hierarchies must map key variables to a hierarchy');
    else {
      let nodes = 1;
      for (const [name, spec] of Object.entries(p.hierarchies)) {
        if (!keys.includes(name)) problems.push(`hierarchies.${name}: only key variables have hierarchies`);
        if (p.generalise !== undefined && Object.hasOwn(p.generalise ?? {}, name)) problems.push(`hierarchies.${name}: the variable has a fixed level in generalise`);
        const found = specShapeProblems(name, spec);
        problems.push(...found);
        if (found.length === 0) nodes *= (Object.values(spec as object)[0] as unknown[]).length + 2;
      }
      if (nodes > MAX_LATTICE_NODES) problems.push(`hierarchies span ${nodes} lattice nodes; at most ${MAX_LATTICE_NODES}`);
    }
  }
  if (p.suppression_limit !== undefined && !(typeof p.suppression_limit === 'number' && p.suppression_limit >= 0 && p.suppression_limit <= 1)) {
    problems.push('suppression_limit must be a share from 0 to 1');
  }
  if (p.sensitive !== undefined) {
    const s = p.sensitive as { attribute?: unknown; l?: unknown } | null;
    if (s === null || typeof s !== 'object' || typeof s.attribute !== 'string' || !offered.has(s.attribute) || keys.includes(s.attribute)) {
      problems.push('sensitive.attribute must be an approved attribute that is not a key variable');
    }
    if (s === null || typeof s !== 'object' || !isInt(s.l, 2, 100)) problems.push('sensitive.l must be an integer from 2 to 100');
  }
  return problems;
}
