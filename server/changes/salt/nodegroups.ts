import { parse } from 'yaml';

/** Salt master `nodegroups:`: name → compound target string, or a list of words. */
export type Nodegroups = Readonly<Record<string, string | readonly string[]>>;

export const COMPOUND_OPERATORS: ReadonlySet<string> = new Set(['and', 'or', 'not', '(', ')']);

/**
 * Reads a Salt master config snippet holding `nodegroups:`. Both the mapping form and the dashed form
 * (`- group1: '...'`, Salt 2017.7+) are accepted, as is a file holding the mapping alone.
 * Throws when the text is not YAML or holds no usable nodegroups mapping.
 */
export function parseNodegroups(yamlText: string): Nodegroups {
  const doc: unknown = parse(yamlText, { uniqueKeys: false });
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new Error('nodegroups: expected a YAML mapping');
  const raw = 'nodegroups' in doc ? doc['nodegroups'] : doc;
  if (raw === null || raw === undefined) return {};
  const entries: [string, unknown][] = [];
  if (Array.isArray(raw)) {
    for (const item of raw) {
      if (!isRecord(item)) throw new Error('nodegroups: a dashed entry must be `- name: target`');
      entries.push(...Object.entries(item));
    }
  } else if (isRecord(raw)) {
    entries.push(...Object.entries(raw));
  } else {
    throw new Error('nodegroups: expected a mapping of name to compound target');
  }
  const groups: Record<string, string | string[]> = {};
  for (const [name, value] of entries) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      groups[name] = String(value);
    } else if (Array.isArray(value)) {
      groups[name] = value.map((word) => String(word));
    } else {
      throw new Error(`nodegroups: ${name} must be a compound target string or a list`);
    }
  }
  return groups;
}

/**
 * Expands a nodegroup into compound words, after salt/utils/minions.py `nodegroup_comp` and
 * `_nodegroup_regex`: a definition without operators, wildcards or `X@` prefixes is a list of ids
 * (`L@a,b`), or a PCRE (`E@…`) when a word holds regex characters; nested `N@` groups are expanded
 * in place. The expansion is always parenthesised: Salt does so for nested groups, and a group is
 * meant as one unit. Returns undefined for an unknown or circular group (Salt then fails the match).
 */
export function expandNodegroup(
  name: string,
  groups: Nodegroups,
  seen: ReadonlySet<string> = new Set(),
): string[] | undefined {
  if (seen.has(name) || !Object.hasOwn(groups, name)) return undefined;
  const definition = groups[name];
  if (definition === undefined) return undefined;
  const words = typeof definition === 'string' ? splitWords(definition) : definition.map(String);
  const plain = words.every((word) => !COMPOUND_OPERATORS.has(word));
  if (plain && !words.some((word) => word.includes('*') || /^[A-Z]@/.test(word))) {
    const regex = words.some((word) => /[()[\]{}\\?]/.test(word));
    return [(regex ? 'E@' : 'L@') + words.join(',')];
  }
  const inner = new Set(seen).add(name);
  const out: string[] = ['('];
  for (const word of words) {
    if (!COMPOUND_OPERATORS.has(word) && word.length >= 3 && word.startsWith('N@')) {
      const nested = expandNodegroup(word.slice(2), groups, inner);
      if (nested === undefined) return undefined;
      out.push(...nested);
    } else {
      out.push(word);
    }
  }
  out.push(')');
  return out;
}

export function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
