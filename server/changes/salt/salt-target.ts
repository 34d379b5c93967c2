import { COMPOUND_OPERATORS, expandNodegroup, splitWords, type Nodegroups } from './nodegroups.ts';

/**
 * A minion as targeting sees it. Grains may be flat (host labels) or nested; list-valued grains
 * match when any item matches. Pillar is optional: without it, pillar matches are undecided.
 */
export interface Minion {
  id: string;
  grains: Readonly<Record<string, unknown>>;
  pillar?: Readonly<Record<string, unknown>>;
}

/** `'maybe'` is the third value of Kleene logic: the repository alone cannot decide the match. */
export type TargetMatch = boolean | 'maybe';

export interface TargetContext {
  /** Undefined when the master's nodegroups are not known: nodegroup matches are then undecided. */
  nodegroups?: Nodegroups;
}

/** Top-file `- match:` values; any other value is undecided. */
export type MatchType =
  | 'glob'
  | 'pcre'
  | 'list'
  | 'grain'
  | 'grain_pcre'
  | 'pillar'
  | 'pillar_pcre'
  | 'pillar_exact'
  | 'compound'
  | 'compound_pillar_exact'
  | 'nodegroup'
  | 'ipcidr'
  | 'range'
  | 'data';

/** Placeholder that stands for an unresolved Jinja expression inside a target or a state name. */
export const JINJA_PLACEHOLDER = '\u2039jinja\u203a';

/**
 * Builds a minion from a host's labels, which serve as its grains: a comma-separated value becomes a
 * list grain, so `G@roles:web` matches `roles=web,db`. The `id` grain is the minion id, as in Salt.
 */
export function minionFromLabels(id: string, labels: Readonly<Record<string, string>>): Minion {
  const grains: Record<string, unknown> = { id };
  for (const [key, value] of Object.entries(labels)) {
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    grains[key] = items.length > 1 ? items : value.trim();
  }
  return { id, grains };
}

/** Matches a target the way a top-file entry with `- match: <matchType>` does. */
export function matchTarget(
  target: string,
  matchType: string,
  minion: Minion,
  context: TargetContext = {},
): TargetMatch {
  if (target.includes(JINJA_PLACEHOLDER) && matchType !== 'compound' && matchType !== 'glob') {
    return widenedMatch(target, matchType, minion);
  }
  switch (matchType) {
    case 'glob':
      return matchGlobWord(target, minion);
    case 'pcre':
      return pcreMatch(target, minion.id);
    case 'list':
      return listMatch(target, minion.id);
    case 'grain':
    case 'grain_pcre':
    case 'pillar':
    case 'pillar_pcre':
    case 'pillar_exact':
      return matchEngine(ENGINE_OF[matchType], ':', target, minion);
    case 'compound':
    case 'compound_pillar_exact':
      return matchCompound(target, minion, context, matchType === 'compound_pillar_exact');
    case 'nodegroup': {
      // salt/matchers/nodegroup_match.py: compound match of the expanded group; unknown group → False.
      if (context.nodegroups === undefined) return 'maybe';
      const words = expandNodegroup(target, context.nodegroups);
      return words === undefined ? false : matchCompound(words, minion, context);
    }
    case 'ipcidr':
      return ipcidrMatch(target, minion);
    default:
      // range, data and custom matchers need data the repository does not hold.
      return 'maybe';
  }
}

const ENGINE_OF: Record<string, string> = {
  grain: 'G',
  grain_pcre: 'P',
  pillar: 'I',
  pillar_pcre: 'J',
  pillar_exact: 'X',
};

/**
 * Compound match after salt/matchers/compound_match.py: the target is split on whitespace, each word
 * is replaced by its match result and the words are evaluated as a Python expression, so `not` binds
 * tighter than `and`, which binds tighter than `or`; parentheses must be separate words; a leading
 * `not` is allowed (2015.8+); `not` after an operand implies `and`; anything Python would not parse
 * makes the whole match False.
 */
export function matchCompound(
  target: string | readonly string[],
  minion: Minion,
  context: TargetContext = {},
  pillarExact = false,
): TargetMatch {
  const program = compileCompound(target, context, pillarExact);
  return program === undefined ? false : evaluate(program, minion);
}

type Expr =
  | { op: 'atom'; engine: string | undefined; delimiter: string; pattern: string }
  | { op: 'const'; value: TargetMatch }
  | { op: 'not'; arg: Expr }
  | { op: 'and' | 'or'; left: Expr; right: Expr };

type Operator = 'and' | 'or' | 'not' | '(' | ')';
type Token = Operator | Expr;

// Parsing does not depend on the minion: a target is compiled once per nodegroups mapping.
const compiledByGroups = new WeakMap<object, Map<string, Expr | undefined>>();
const NO_GROUPS = {};

/** The target as an expression tree, or undefined where Salt fails the whole match. */
function compileCompound(
  target: string | readonly string[],
  context: TargetContext,
  pillarExact: boolean,
): Expr | undefined {
  const groups = context.nodegroups ?? NO_GROUPS;
  let cache = compiledByGroups.get(groups);
  if (cache === undefined) {
    cache = new Map();
    compiledByGroups.set(groups, cache);
  }
  const key = `${pillarExact ? 'X' : 'C'}${typeof target === 'string' ? target : JSON.stringify(target)}`;
  if (cache.has(key)) return cache.get(key);
  const program = parseTokens(tokenize(target, context, pillarExact));
  if (cache.size > 10_000) cache.clear();
  cache.set(key, program);
  return program;
}

function tokenize(
  target: string | readonly string[],
  context: TargetContext,
  pillarExact: boolean,
): Token[] | undefined {
  const words = typeof target === 'string' ? splitWords(target) : [...target];
  const tokens: Token[] = [];
  while (words.length > 0) {
    const word = words.shift() as string;
    if (COMPOUND_OPERATORS.has(word)) {
      const last = tokens.at(-1);
      if (last === undefined) {
        if (word !== '(' && word !== 'not') return undefined;
      } else {
        if (last === '(' && (word === 'and' || word === 'or')) return undefined;
        if (word === 'not' && last !== 'and' && last !== 'or' && last !== '(') tokens.push('and');
      }
      tokens.push(word as Operator);
      continue;
    }
    const parsed = parseTargetWord(word);
    if (parsed.engine === 'N') {
      if (context.nodegroups === undefined) {
        tokens.push({ op: 'const', value: 'maybe' });
        continue;
      }
      const expanded = expandNodegroup(parsed.pattern, context.nodegroups);
      if (expanded === undefined) return undefined;
      words.unshift(...expanded);
      continue;
    }
    const engine = pillarExact && (parsed.engine === 'I' || parsed.engine === 'J') ? 'X' : parsed.engine;
    tokens.push({ op: 'atom', engine, delimiter: parsed.delimiter, pattern: parsed.pattern });
  }
  return tokens;
}

/** Python precedence: `or` < `and` < `not`; what Python would not parse fails the match. */
function parseTokens(tokens: readonly Token[] | undefined): Expr | undefined {
  if (tokens === undefined) return undefined;
  let pos = 0;
  const binary = (op: 'and' | 'or', next: () => Expr | undefined): Expr | undefined => {
    let left = next();
    while (left !== undefined && tokens[pos] === op) {
      pos++;
      const right = next();
      left = right === undefined ? undefined : { op, left, right };
    }
    return left;
  };
  const orExpr = (): Expr | undefined => binary('or', andExpr);
  const andExpr = (): Expr | undefined => binary('and', notExpr);
  const notExpr = (): Expr | undefined => {
    if (tokens[pos] !== 'not') return atom();
    pos++;
    const arg = notExpr();
    return arg === undefined ? undefined : { op: 'not', arg };
  };
  const atom = (): Expr | undefined => {
    const token = tokens[pos++];
    if (token === '(') {
      // `( )` is Python's empty tuple: falsy.
      if (tokens[pos] === ')') {
        pos++;
        return { op: 'const', value: false };
      }
      const inner = orExpr();
      if (tokens[pos] !== ')') return undefined;
      pos++;
      return inner;
    }
    return token === undefined || typeof token === 'string' ? undefined : token;
  };
  const program = orExpr();
  return pos === tokens.length ? program : undefined;
}

function evaluate(expr: Expr, minion: Minion): TargetMatch {
  switch (expr.op) {
    case 'atom':
      return matchEngine(expr.engine, expr.delimiter, expr.pattern, minion);
    case 'const':
      return expr.value;
    case 'not':
      return not3(evaluate(expr.arg, minion));
    case 'and':
      return and3(evaluate(expr.left, minion), evaluate(expr.right, minion));
    case 'or':
      return or3(evaluate(expr.left, minion), evaluate(expr.right, minion));
  }
}

interface TargetWord {
  engine: string | undefined;
  delimiter: string;
  pattern: string;
}

/**
 * salt/utils/minions.py TARGET_REX: an engine letter, an optional delimiter (G, P, I, J only), `@`,
 * then a non-empty pattern. Any other word, including unknown letters, is a glob on the minion id.
 */
export function parseTargetWord(word: string): TargetWord {
  const first = word[0] ?? '';
  if (word.length >= 4 && 'GPIJ'.includes(first) && word[2] === '@') {
    return { engine: first, delimiter: word[1] ?? ':', pattern: word.slice(3) };
  }
  if (word.length >= 3 && 'GPIJLNSER'.includes(first) && word[1] === '@') {
    return { engine: first, delimiter: ':', pattern: word.slice(2) };
  }
  return { engine: undefined, delimiter: ':', pattern: word };
}

function matchEngine(
  engine: string | undefined,
  delimiter: string,
  pattern: string,
  minion: Minion,
): TargetMatch {
  if (pattern.includes(JINJA_PLACEHOLDER)) return widenedMatch(pattern, engine ?? 'glob', minion, delimiter);
  switch (engine) {
    case undefined:
      return matchGlobWord(pattern, minion);
    case 'E':
      return pcreMatch(pattern, minion.id);
    case 'L':
      return listMatch(pattern, minion.id);
    case 'G':
      return subdictMatch(minion.grains, pattern, delimiter, 'glob');
    case 'P':
      return subdictMatch(minion.grains, pattern, delimiter, 'pcre');
    case 'I':
    case 'J':
    case 'X':
      if (minion.pillar === undefined) return 'maybe';
      return subdictMatch(
        minion.pillar,
        pattern,
        delimiter,
        engine === 'I' ? 'glob' : engine === 'J' ? 'pcre' : 'exact',
      );
    case 'S':
      return ipcidrMatch(pattern, minion);
    default:
      // R@ (range) needs a range server.
      return 'maybe';
  }
}

function matchGlobWord(pattern: string, minion: Minion): TargetMatch {
  if (pattern.includes(JINJA_PLACEHOLDER)) return widenedMatch(pattern, 'glob', minion);
  return globMatch(pattern, minion.id);
}

/**
 * A target holding an unresolved Jinja expression: with the expression read as `*`, a glob that still
 * fails cannot match whatever Jinja renders, so False is sound; otherwise it may match.
 */
function widenedMatch(pattern: string, engine: string, minion: Minion, delimiter = ':'): TargetMatch {
  const wide = pattern.split(JINJA_PLACEHOLDER).join('*');
  let result: TargetMatch = 'maybe';
  if (engine === 'glob' || engine === undefined) result = globMatch(wide, minion.id);
  else if (engine === 'G' || engine === 'grain')
    result = subdictMatch(minion.grains, wide, delimiter, 'glob');
  return result === false ? false : 'maybe';
}

function not3(a: TargetMatch): TargetMatch {
  return a === 'maybe' ? 'maybe' : !a;
}

function and3(a: TargetMatch, b: TargetMatch): TargetMatch {
  if (a === false || b === false) return false;
  return a === 'maybe' || b === 'maybe' ? 'maybe' : true;
}

function or3(a: TargetMatch, b: TargetMatch): TargetMatch {
  if (a === true || b === true) return true;
  return a === 'maybe' || b === 'maybe' ? 'maybe' : false;
}

/** salt/matchers/list_match.py: the id is one of the comma-separated items (no trimming). */
export function listMatch(target: string, id: string): boolean {
  return target.split(',').includes(id);
}

const globCache = new Map<string, RegExp>();

/**
 * Python `fnmatch.fnmatch` on POSIX (case-sensitive): `*`, `?`, `[seq]`, `[!seq]`; an unclosed `[`
 * is literal; the whole string must match.
 */
export function globMatch(pattern: string, text: string): boolean {
  let regex = globCache.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^(?:${translateGlob(pattern)})$`, 's');
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(pattern, regex);
  }
  return regex.test(text);
}

/** After CPython's `fnmatch.translate`, written for JavaScript regular expressions. */
export function translateGlob(pattern: string): string {
  let out = '';
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i] as string;
    i++;
    if (c === '*') {
      if (!out.endsWith('.*')) out += '.*';
    } else if (c === '?') {
      out += '.';
    } else if (c === '[') {
      let j = i;
      if (j < n && pattern[j] === '!') j++;
      if (j < n && pattern[j] === ']') j++;
      while (j < n && pattern[j] !== ']') j++;
      if (j >= n) {
        out += '\\[';
        continue;
      }
      const stuff = pattern.slice(i, j);
      i = j + 1;
      out += translateSet(stuff);
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function translateSet(stuff: string): string {
  const negate = stuff.startsWith('!');
  const chars = [...(negate ? stuff.slice(1) : stuff)];
  let body = '';
  for (let k = 0; k < chars.length; k++) {
    const lo = chars[k] as string;
    const hi = chars[k + 2];
    if (chars[k + 1] === '-' && hi !== undefined) {
      // A reversed range matches nothing in Python; JavaScript would throw.
      if (lo <= hi) body += `${escapeClass(lo)}-${escapeClass(hi)}`;
      k += 2;
    } else {
      body += escapeClass(lo);
    }
  }
  if (body === '') return negate ? '.' : '(?!)';
  return negate ? `[^${body}]` : `[${body}]`;
}

function escapeClass(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

const pcreCache = new Map<string, RegExp | null>();

/**
 * Python `re.match`: anchored at the start only. Returns `'maybe'` when the pattern cannot be
 * carried over to JavaScript (or is invalid), since the repository alone cannot then decide.
 */
export function pcreMatch(pattern: string, text: string): TargetMatch {
  let regex = pcreCache.get(pattern);
  if (regex === undefined) {
    regex = compilePythonRegex(pattern);
    if (pcreCache.size > 10_000) pcreCache.clear();
    pcreCache.set(pattern, regex);
  }
  if (regex === null) return 'maybe';
  regex.lastIndex = 0;
  return regex.test(text);
}

function compilePythonRegex(pattern: string): RegExp | null {
  let source = pattern;
  let flags = 'y';
  // Global inline flags (`(?i)` …) lead the pattern in Python 3.11+.
  const lead = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (lead) {
    const letters = lead[1] ?? '';
    if (/[Lx]/.test(letters)) return null;
    if (letters.includes('i')) flags += 'i';
    if (letters.includes('m')) flags += 'm';
    if (letters.includes('s')) flags += 's';
    source = source.slice(lead[0].length);
  }
  if (/\(\?[aiLmsux-]+[:)]/.test(source)) return null;
  source = source
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2^')
    .replace(/(^|[^\\])((?:\\\\)*)\\Z/g, '$1$2$');
  try {
    return new RegExp(source, flags);
  } catch {
    return null;
  }
}

type ValueMode = 'glob' | 'pcre' | 'exact';

/**
 * salt/utils/data.py `subdict_match`: `key:sub:value`, trying the deepest key first so a value may
 * itself hold the delimiter; values and patterns are compared lower-cased; a list matches when any
 * member matches; a dict matches when the pattern names one of its keys (or is `*`).
 */
export function subdictMatch(
  data: Readonly<Record<string, unknown>>,
  expr: string,
  delimiter = ':',
  mode: ValueMode = 'glob',
): TargetMatch {
  let maybe = false;
  for (const { keys, matchStr } of subdictCandidates(expr, delimiter)) {
    const found = keys === undefined ? data : traverse(data, keys);
    if (found === MISSING) continue;
    const result = matchValue(found, matchStr, delimiter, mode);
    if (result === true) return true;
    if (result === 'maybe') maybe = true;
  }
  return maybe ? 'maybe' : false;
}

interface SubdictCandidate {
  /** Undefined for the `*` key: match against the whole data. */
  keys: readonly string[] | undefined;
  matchStr: string;
}

const candidateCache = new Map<string, readonly SubdictCandidate[]>();

/** The (key, value pattern) splits of an expression, deepest key first. */
function subdictCandidates(expr: string, delimiter: string): readonly SubdictCandidate[] {
  const cacheKey = `${delimiter}\0${expr}`;
  let candidates = candidateCache.get(cacheKey);
  if (candidates === undefined) {
    const splits = expr.split(delimiter);
    const list: SubdictCandidate[] = [];
    for (let idx = splits.length - 1; idx > 0; idx--) {
      const key = splits.slice(0, idx);
      if (key.length === 1 && key[0] === '*') list.push({ keys: undefined, matchStr: expr });
      else list.push({ keys: key, matchStr: splits.slice(idx).join(delimiter) });
    }
    if (candidateCache.size > 10_000) candidateCache.clear();
    candidateCache.set(cacheKey, list);
    candidates = list;
  }
  return candidates;
}

function matchValue(found: unknown, pattern: string, delimiter: string, mode: ValueMode): TargetMatch {
  if (isRecord(found)) return dictMatch(found, pattern, delimiter, mode);
  if (Array.isArray(found)) {
    let maybe = false;
    for (const member of found) {
      const result = isRecord(member)
        ? or3(dictMatch(member, pattern, delimiter, mode), scalarMatch(member, pattern, mode))
        : scalarMatch(member, pattern, mode);
      if (result === true) return true;
      if (result === 'maybe') maybe = true;
    }
    return maybe ? 'maybe' : false;
  }
  return scalarMatch(found, pattern, mode);
}

function dictMatch(
  target: Readonly<Record<string, unknown>>,
  rawPattern: string,
  delimiter: string,
  mode: ValueMode,
): TargetMatch {
  const wildcard = rawPattern.startsWith('*:');
  const pattern = wildcard ? rawPattern.slice(2) : rawPattern;
  if (pattern === '*' || Object.hasOwn(target, pattern)) return true;
  let result = subdictMatch(target, pattern, delimiter, mode);
  if (result === true || !wildcard) return result;
  for (const value of Object.values(target)) {
    result = or3(result, matchValue(value, pattern, delimiter, mode));
    if (result === true) return true;
  }
  return result;
}

function scalarMatch(value: unknown, pattern: string, mode: ValueMode): TargetMatch {
  const target = pythonStr(value).toLowerCase();
  const lowered = pattern.toLowerCase();
  // Salt lower-cases regex patterns too, so `\D` reads as `\d`: kept for fidelity.
  if (mode === 'pcre') return pcreMatch(lowered, target);
  if (mode === 'exact') return target === lowered;
  return globMatch(lowered, target);
}

function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

const MISSING = Symbol('missing');

/** salt/utils/data.py `traverse_dict_and_list`, without the YAML re-reading of numeric keys. */
function traverse(data: unknown, keys: readonly string[]): unknown {
  let ptr: unknown = data;
  for (const each of keys) {
    if (Array.isArray(ptr)) {
      const embedded = ptr.find((item) => isRecord(item) && Object.hasOwn(item, each));
      if (embedded !== undefined) {
        ptr = (embedded as Record<string, unknown>)[each];
      } else if (/^-?\d+$/.test(each) && Number(each) < ptr.length) {
        ptr = ptr.at(Number(each));
      } else {
        return MISSING;
      }
    } else if (isRecord(ptr) && Object.hasOwn(ptr, each)) {
      ptr = ptr[each];
    } else {
      return MISSING;
    }
  }
  return ptr;
}

/**
 * salt/matchers/ipcidr_match.py on the `ipv4` grain; IPv6 and minions without an `ipv4` grain are
 * undecided here, as the address is not among a host's labels.
 */
export function ipcidrMatch(target: string, minion: Minion): TargetMatch {
  const network = parseIpv4Network(target);
  const addresses = minion.grains['ipv4'];
  if (network === undefined || addresses === undefined) return 'maybe';
  const list = Array.isArray(addresses) ? addresses : [addresses];
  return list.some((address) => {
    const ip = parseIpv4(String(address));
    return ip !== undefined && (ip & network.mask) >>> 0 === network.base;
  });
}

function parseIpv4Network(text: string): { base: number; mask: number } | undefined {
  const [address, bitsText] = text.split('/');
  const ip = parseIpv4(address ?? '');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (ip === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, mask };
}

function parseIpv4(text: string): number | undefined {
  const parts = text.trim().split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255))
    return undefined;
  return parts.reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
