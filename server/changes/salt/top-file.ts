import { isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import { stripJinja } from './jinja.ts';
import { globMatch, JINJA_PLACEHOLDER } from './salt-target.ts';

/** One state (or pillar) SLS named by a top-file entry, in the environment it is read from. */
export interface TopState {
  name: string;
  env: string;
}

export interface TopEntry {
  env: string;
  target: string;
  /** The `- match:` value; Salt's default is `compound` (salt/matchers/confirm_top.py). */
  matchType: string;
  states: TopState[];
  /** Inside a Jinja block, from a `subfilter`, or holding an unresolved expression. */
  approximate: boolean;
}

export interface TopFile {
  entries: TopEntry[];
  hasJinja: boolean;
  /** The entries cannot all be seen: unparsable YAML, or Jinja that may emit entries of its own. */
  opaque: boolean;
  /** The Jinja tags in order, to tell whether only the YAML changed. */
  jinjaTags: string[];
  error?: string;
}

/**
 * Parses a state or pillar `top.sls`: `env: { target: [ {match: type}, sls, {env: sls}, … ] }`
 * (docs: "The Top File"). Jinja is not rendered: every branch is kept, and entries that depend on it
 * are marked approximate.
 */
export function parseTopFile(source: string): TopFile {
  const jinja = stripJinja(source);
  const base = { hasJinja: jinja.hasJinja, opaque: jinja.opaque, jinjaTags: jinja.tags };
  const doc = parseDocument(jinja.text, { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    return { ...base, entries: [], opaque: true, error: doc.errors[0]?.message ?? 'invalid YAML' };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === '')))
    return { ...base, entries: [] };
  if (!isMap(root)) return { ...base, entries: [], opaque: true, error: 'top file is not a mapping' };
  const lineOf = lineIndex(jinja.text);
  const entries: TopEntry[] = [];
  for (const envPair of root.items) {
    const env = scalarText(envPair.key);
    if (env === undefined || !isMap(envPair.value)) continue;
    for (const pair of envPair.value.items) {
      collectEntry(pair, env, false, entries, (node) =>
        nodeIsConditional(node, lineOf, jinja.conditionalLines),
      );
    }
  }
  return { ...base, entries };
}

function collectEntry(
  pair: Pair,
  env: string,
  fromSubfilter: boolean,
  entries: TopEntry[],
  conditional: (node: unknown) => boolean,
): void {
  const target = scalarText(pair.key);
  if (target === undefined) return;
  const value = pair.value;
  const items: unknown[] = isSeq(value) ? value.items : value === null || value === undefined ? [] : [value];
  let matchType = 'compound';
  const states: TopState[] = [];
  for (const item of items) {
    if (isScalar(item)) {
      const name = scalarText(item);
      if (name !== undefined && name !== '') states.push({ name, env });
    } else if (isMap(item)) {
      for (const inner of item.items) {
        const key = scalarText(inner.key);
        if (key === 'match') {
          matchType = scalarText(inner.value) ?? matchType;
        } else if (key === 'subfilter' && isMap(inner.value)) {
          // A subfilter narrows this entry further; its own target alone is a superset.
          for (const sub of inner.value.items) collectEntry(sub, env, true, entries, conditional);
        } else if (key !== undefined && key !== 'ignore_missing') {
          // `- otherenv: sls` applies an SLS from another environment.
          for (const name of scalarList(inner.value)) states.push({ name, env: key });
        }
      }
    }
  }
  const approximate =
    fromSubfilter ||
    conditional(pair.key) ||
    conditional(value) ||
    target.includes(JINJA_PLACEHOLDER) ||
    states.some((state) => state.name.includes(JINJA_PLACEHOLDER));
  entries.push({ env, target, matchType, states, approximate });
}

function nodeIsConditional(
  node: unknown,
  lineOf: (offset: number) => number,
  lines: ReadonlySet<number>,
): boolean {
  const range = (node as Node | null | undefined)?.range;
  if (!range) return false;
  for (let l = lineOf(range[0]); l <= lineOf(Math.max(range[0], range[1] - 1)); l++)
    if (lines.has(l)) return true;
  return false;
}

function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
}

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const value = node.value;
  if (value === null || value === undefined) return undefined;
  return String(value);
}

function scalarList(node: unknown): string[] {
  if (isScalar(node)) {
    const text = scalarText(node);
    return text === undefined || text === '' ? [] : [text];
  }
  if (isSeq(node)) return node.items.flatMap((item) => scalarList(item));
  return [];
}

/** The SLS files under one root (`file_roots` or `pillar_roots`), by SLS name. */
export interface SlsIndex {
  /** Root folder relative to the repository, `''` for the repository root. */
  root: string;
  /** SLS name → repository path; `a/b.sls` wins over `a/b/init.sls`, as Salt tries it first. */
  paths: ReadonlyMap<string, string>;
  names: readonly string[];
}

export function indexSlsFiles(files: readonly string[], root: string): SlsIndex {
  const paths = new Map<string, string>();
  const initFiles = new Map<string, string>();
  for (const path of files) {
    const name = slsNameOfPath(path, root);
    if (name === undefined) continue;
    if (path.endsWith('/init.sls')) initFiles.set(name, path);
    else paths.set(name, path);
  }
  for (const [name, path] of initFiles) if (!paths.has(name)) paths.set(name, path);
  paths.delete('top');
  return { root, paths, names: [...paths.keys()].sort() };
}

/** `salt/nginx/init.sls` under root `salt` → `nginx`; non-SLS files and dotted folders → undefined. */
export function slsNameOfPath(path: string, root: string): string | undefined {
  const rel = relativeTo(path, root);
  if (rel === undefined || !rel.endsWith('.sls')) return undefined;
  const parts = rel.slice(0, -'.sls'.length).split('/');
  if (parts.length > 1 && parts.at(-1) === 'init') parts.pop();
  if (parts.some((part) => part === '' || part.includes('.'))) return undefined;
  return parts.join('.');
}

export function relativeTo(path: string, root: string): string | undefined {
  if (root === '') return path;
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : undefined;
}

export function joinRoot(root: string, rel: string): string {
  return root === '' ? rel : `${root}/${rel}`;
}

/**
 * SLS names a top-file item or include stands for: Salt globs them against the available SLS
 * (`fnmatch.filter(self.avail[env], sls_match)` in salt/state.py); an unresolved Jinja expression
 * reads as `*`.
 */
export function expandSlsPattern(pattern: string, index: SlsIndex): string[] {
  const glob = pattern.split(JINJA_PLACEHOLDER).join('*');
  if (!/[*?[]/.test(glob)) return index.paths.has(glob) ? [glob] : [];
  return index.names.filter((name) => globMatch(glob, name));
}

/** What a state or pillar SLS pulls in, read without rendering it. */
export interface SlsFacts {
  /** Absolute SLS names or globs, relative includes already resolved. */
  includes: string[];
  /** `salt://` paths (no query), relative to the root; may hold `*` for Jinja. */
  sourceRefs: string[];
  /** Template files imported by Jinja, relative to the root. */
  templateRefs: string[];
  /** The includes or references cannot all be seen statically. */
  approximate: boolean;
  /** Rendering may emit anything, includes too. */
  opaque: boolean;
}

/**
 * Reads an SLS file's `include:` (strings, `{env: sls}` and `{env: [sls]}` forms) and the files
 * it references. Relative includes follow salt/state.py: each leading dot climbs one level of the
 * SLS name, and an `init.sls` counts as a level of its own, so `.b` in `a/init.sls` is `a.b`.
 */
export function readSlsFacts(source: string, slsName: string, path: string, root: string): SlsFacts {
  const jinja = stripJinja(source);
  const dir = dirOf(relativeTo(path, root) ?? path);
  const facts: SlsFacts = {
    includes: [],
    sourceRefs: [],
    templateRefs: [],
    approximate: jinja.dynamicTemplateRef,
    opaque: jinja.opaque,
  };
  for (const ref of jinja.templateRefs) facts.templateRefs.push(resolveTemplateRef(ref, dir));
  for (const match of jinja.text.matchAll(/salt:\/\/([^\s'"?,\]}#]+)/g)) {
    const ref = (match[1] ?? '').split(JINJA_PLACEHOLDER).join('*').replace(/\/+$/, '');
    if (ref.includes('*')) facts.approximate = true;
    if (ref !== '') facts.sourceRefs.push(ref);
  }
  const doc = parseDocument(jinja.text, { uniqueKeys: false, prettyErrors: false });
  const raw: string[] = [];
  if (doc.errors.length > 0) {
    // Jinja-stripped YAML may not parse; an include list can still be read line by line.
    raw.push(...scanIncludeBlock(jinja.text));
    if (raw.length > 0) facts.approximate = true;
  } else if (doc.contents !== null && !isMap(doc.contents)) {
    return facts;
  }
  const include =
    doc.errors.length === 0 && isMap(doc.contents)
      ? doc.contents.items.find((pair) => scalarText(pair.key) === 'include')?.value
      : undefined;
  if (isSeq(include)) {
    for (const item of include.items) {
      if (isMap(item)) for (const pair of item.items) raw.push(...scalarList(pair.value));
      else raw.push(...scalarList(item));
    }
  } else if (include !== undefined && include !== null) {
    raw.push(...scalarList(include));
  }
  const isInit = path.endsWith('/init.sls') || path === 'init.sls';
  for (const name of raw) {
    if (name.includes(JINJA_PLACEHOLDER)) facts.approximate = true;
    const resolved = name.startsWith('.') ? resolveRelativeInclude(name, slsName, isInit) : name;
    if (resolved !== undefined) facts.includes.push(resolved);
  }
  return facts;
}

function scanIncludeBlock(text: string): string[] {
  const names: string[] = [];
  let inBlock = false;
  for (const line of text.split('\n')) {
    if (/^include\s*:\s*$/.test(line)) {
      inBlock = true;
    } else if (inBlock && /^\S/.test(line)) {
      inBlock = false;
    } else if (inBlock) {
      const item = /^\s*-\s*(?:[\w-]+\s*:\s*)?['"]?([^'"\s#]+)/.exec(line)?.[1];
      if (item !== undefined) names.push(item);
    }
  }
  return names;
}

/** salt/state.py `render_state`: relative include → absolute SLS name; undefined past the top. */
export function resolveRelativeInclude(
  include: string,
  slsName: string,
  isInit: boolean,
): string | undefined {
  const match = /^(\.+)(.*)$/.exec(include);
  if (!match) return include;
  const levels = (match[1] ?? '').length;
  const comps = slsName.split('.');
  if (isInit) comps.push('init');
  if (levels > comps.length) return undefined;
  return [...comps.slice(0, comps.length - levels), match[2] ?? ''].join('.');
}

function resolveTemplateRef(ref: string, dir: string): string {
  const clean = ref.replace(/^salt:\/\//, '');
  if (!clean.startsWith('./') && !clean.startsWith('../')) return clean.replace(/^\/+/, '');
  const parts = dir === '' ? [] : dir.split('/');
  for (const part of clean.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.' && part !== '') parts.push(part);
  }
  return parts.join('/');
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i);
}

/** An SLS reached from a top-file state, with the chain of includes that reaches it. */
export interface SlsClosure {
  /** SLS name → the SLS that included it (the start maps to undefined). */
  members: ReadonlyMap<string, string | undefined>;
  /** Some include could not be resolved statically; members are then widened. */
  approximate: boolean;
}

/**
 * Follows includes from `start` through the SLS `index`, cycle-safe. An SLS whose includes cannot
 * be seen (opaque Jinja) may include anything, so every SLS becomes a member.
 */
export function slsClosure(
  start: string,
  index: SlsIndex,
  factsOf: (name: string) => SlsFacts | undefined,
): SlsClosure {
  const members = new Map<string, string | undefined>([[start, undefined]]);
  const queue = [start];
  let approximate = false;
  while (queue.length > 0) {
    const name = queue.shift() as string;
    const facts = factsOf(name);
    if (facts === undefined) continue;
    let includes = facts.includes.flatMap((pattern) => expandSlsPattern(pattern, index));
    if (facts.approximate) approximate = true;
    if (facts.opaque) {
      approximate = true;
      includes = [...index.names];
    }
    for (const included of includes) {
      if (members.has(included)) continue;
      members.set(included, name);
      queue.push(included);
    }
  }
  return { members, approximate };
}
