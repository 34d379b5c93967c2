import type { Nodegroups } from './nodegroups.ts';
import {
  globMatch,
  JINJA_PLACEHOLDER,
  matchTarget,
  minionFromLabels,
  type Minion,
  type TargetMatch,
} from './salt-target.ts';
import {
  expandSlsPattern,
  indexSlsFiles,
  joinRoot,
  parseTopFile,
  readSlsFacts,
  relativeTo,
  slsClosure,
  slsNameOfPath,
  type SlsClosure,
  type SlsFacts,
  type SlsIndex,
  type TopEntry,
  type TopFile,
} from './top-file.ts';

/** A repository at one commit; paths are relative to the repository root. */
export interface RepoSnapshot {
  listFiles(): string[];
  readFile(path: string): string | undefined;
}

/** The same repository one commit earlier; without `listFiles`, the current list stands in. */
export type PreviousSnapshot = Pick<RepoSnapshot, 'readFile'> & Partial<Pick<RepoSnapshot, 'listFiles'>>;

/** A host named by its minion id; its labels serve as grains. */
export interface SaltHost {
  id: string;
  labels: Readonly<Record<string, string>>;
}

export interface SaltRoots {
  /** `file_roots`, relative to the repository root (`''` for the root itself). */
  stateRoot: string;
  /** `pillar_roots`, or undefined when the repository holds no pillar. */
  pillarRoot: string | undefined;
}

export interface ReachInput {
  snapshot: RepoSnapshot;
  /** The parent commit, to compare top files and to place deleted files. */
  previous?: PreviousSnapshot;
  hosts: readonly SaltHost[];
  /** The master's nodegroups; undefined when not known (nodegroup targets then may match anyone). */
  nodegroups?: Nodegroups;
  roots?: Partial<SaltRoots>;
  /** Parsed files and target matches kept across commits; see `createSaltReachCache`. */
  cache?: SaltReachCache;
}

/**
 * What stays valid from one commit to the next: parsed SLS and top files by content, and the hosts
 * each target matches. It serves one host list and nodegroups; given others it starts afresh.
 */
export interface SaltReachCache {
  hostsKey: string | undefined;
  facts: Map<string, SlsFacts>;
  tops: Map<string, TopFile>;
  matches: Map<string, EntryHosts>;
}

export function createSaltReachCache(): SaltReachCache {
  return { hostsKey: undefined, facts: new Map(), tops: new Map(), matches: new Map() };
}

const CACHE_LIMIT = 50_000;

function remember<V>(map: Map<string, V>, key: string, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    if (map.size >= CACHE_LIMIT) map.clear();
    map.set(key, value);
  }
  return value;
}

/** Which hosts a change reaches, whether that is an over-approximation, and why. */
export interface Reach {
  hosts: Set<string>;
  approximate: boolean;
  reasons: string[];
}

export interface SaltReach {
  roots: SaltRoots;
  reachOfPath(path: string): Reach;
  reachOfChange(paths: readonly string[]): Reach;
}

/** One-shot form of `createSaltReach(input).reachOfChange(paths)`. */
export function reachOfChange(input: ReachInput, paths: readonly string[]): Reach {
  return createSaltReach(input).reachOfChange(paths);
}

const STATE_ROOT_CANDIDATES = ['salt', 'srv/salt', 'states', 'state', 'file_roots', 'salt/states'];
const PILLAR_ROOT_CANDIDATES = ['pillar', 'srv/pillar', 'pillars', 'salt/pillar', 'pillar_roots'];

/**
 * Finds `file_roots` and `pillar_roots` in the common layouts: the folder holding the top file
 * (`salt/`, `srv/salt/`, `states/` or the repository root) and `pillar/` (or `srv/pillar/`).
 */
export function detectSaltRoots(files: readonly string[]): SaltRoots {
  const set = new Set(files);
  const hasTop = (dir: string): boolean => set.has(joinRoot(dir, 'top.sls'));
  const hasSls = (dir: string): boolean => files.some((f) => f.startsWith(`${dir}/`) && f.endsWith('.sls'));
  const pillarRoot = PILLAR_ROOT_CANDIDATES.find(hasTop) ?? PILLAR_ROOT_CANDIDATES.find(hasSls);
  const hasModules = (dir: string): boolean =>
    files.some((f) => {
      const rel = relativeTo(f, dir);
      return rel !== undefined && MINION_MODULE_DIRS.has(rel.split('/')[0] ?? '');
    });
  const stateRoot =
    STATE_ROOT_CANDIDATES.find(hasTop) ??
    (hasTop('') ? '' : undefined) ??
    STATE_ROOT_CANDIDATES.find((dir) => hasModules(dir) || (hasSls(dir) && dir !== pillarRoot)) ??
    '';
  return { stateRoot, pillarRoot };
}

/** Minion-side loader folders that `saltutil.sync_all` (run by every highstate) copies to each minion. */
const MINION_MODULE_DIRS: ReadonlyMap<string, string> = new Map([
  ['_grains', 'custom grain module'],
  ['_modules', 'custom execution module'],
  ['_states', 'custom state module'],
  ['_utils', 'custom utility module'],
  ['_returners', 'custom returner'],
  ['_beacons', 'custom beacon'],
  ['_renderers', 'custom renderer'],
  ['_engines', 'custom engine'],
  ['_executors', 'custom executor'],
  ['_output', 'custom outputter'],
  ['_proxy', 'custom proxy module'],
  ['_matchers', 'custom matcher'],
  ['_sdb', 'custom SDB module'],
  ['_serializers', 'custom serializer'],
  ['_log_handlers', 'custom log handler'],
  ['_clouds', 'custom cloud module'],
]);

/** Master-side modules that decide every minion's pillar or top. */
const MASTER_DATA_DIRS: ReadonlyMap<string, string> = new Map([
  ['_pillar', 'custom external pillar'],
  ['_tops', 'custom master_tops module'],
]);

/** Master-only modules: they run on the master, not on any minion. */
const MASTER_ONLY_DIRS = new Set([
  '_runners',
  '_wheel',
  '_auth',
  '_roster',
  '_fileserver',
  '_tokens',
  '_queues',
  '_cache',
]);

/** Files Salt renders or imports: the only ones reach reads besides those a commit changes. */
export const TEMPLATE_EXTENSIONS = /\.(sls|jinja|jinja2|j2|tmpl)$/;

export interface EntryHosts {
  sure: Set<string>;
  maybe: Set<string>;
}

interface Use {
  entry: number;
  /** The SLS named by the top file through which this one is reached. */
  via: string;
  approximate: boolean;
}

interface Tree {
  kind: 'state' | 'pillar';
  root: string;
  topPath: string;
  top: TopFile | undefined;
  index: SlsIndex;
  files: readonly string[];
  read(path: string): string | undefined;
  factsOf(name: string): SlsFacts | undefined;
  closureOf(name: string): SlsClosure;
  entryHosts(entry: number): EntryHosts;
  usesOf(name: string): readonly Use[];
  /** Files (SLS or templates) that reference a path by `salt://` or a Jinja import. */
  referrersOf(rel: string): string[];
}

export function createSaltReach(input: ReachInput): SaltReach {
  const files = input.snapshot.listFiles();
  const detected = detectSaltRoots(files);
  const roots: SaltRoots = {
    stateRoot: input.roots?.stateRoot ?? detected.stateRoot,
    pillarRoot: input.roots && 'pillarRoot' in input.roots ? input.roots.pillarRoot : detected.pillarRoot,
  };
  const minions: Minion[] = input.hosts.map((host) => minionFromLabels(host.id, host.labels));
  const allHosts = (): Set<string> => new Set(minions.map((m) => m.id));
  const context = input.nodegroups === undefined ? {} : { nodegroups: input.nodegroups };
  const cache = input.cache ?? createSaltReachCache();
  const hostsKey = JSON.stringify([input.hosts, input.nodegroups ?? null]);
  if (cache.hostsKey !== hostsKey) {
    cache.hostsKey = hostsKey;
    cache.matches.clear();
  }
  const factsFor = (text: string, name: string, path: string, root: string): SlsFacts =>
    remember(cache.facts, `${root}\0${name}\0${path}\0${text}`, () => readSlsFacts(text, name, path, root));
  const current = buildTrees(files, (path) => input.snapshot.readFile(path));
  const fileSet = new Set(files);
  let previousTrees: Trees | undefined;
  const previousOf = (deleted?: string): Trees | undefined => {
    const previous = input.previous;
    if (previous === undefined) return undefined;
    const read = (path: string): string | undefined => previous.readFile(path);
    // Without the previous file list, the current one plus the deleted file stands in.
    if (previous.listFiles === undefined && deleted !== undefined)
      return buildTrees([...files, deleted], read);
    previousTrees ??= buildTrees(previous.listFiles?.() ?? files, read);
    return previousTrees;
  };

  interface Trees {
    state: Tree;
    pillar: Tree | undefined;
  }

  function buildTrees(list: readonly string[], read: (path: string) => string | undefined): Trees {
    const pillarRoot = roots.pillarRoot;
    const stateFiles =
      pillarRoot === undefined || pillarRoot === roots.stateRoot
        ? list
        : list.filter((f) => relativeTo(f, pillarRoot) === undefined);
    return {
      state: buildTree('state', roots.stateRoot, stateFiles, read),
      pillar: pillarRoot === undefined ? undefined : buildTree('pillar', pillarRoot, list, read),
    };
  }

  function buildTree(
    kind: Tree['kind'],
    root: string,
    list: readonly string[],
    read: (path: string) => string | undefined,
  ): Tree {
    const index = indexSlsFiles(list, root);
    const topPath = joinRoot(root, 'top.sls');
    const topText = read(topPath);
    // A listed file that cannot be read (binary or over the size limit) may say anything.
    const unreadable = (path: string): boolean => list.includes(path);
    const top =
      topText !== undefined
        ? remember(cache.tops, topText, () => parseTopFile(topText))
        : unreadable(topPath)
          ? { ...emptyTop(), opaque: true }
          : undefined;
    const facts = new Map<string, SlsFacts | undefined>();
    const closures = new Map<string, SlsClosure>();
    const hostsByEntry = new Map<number, EntryHosts>();
    let uses: Map<string, Use[]> | undefined;
    let referrers: Map<string, Set<string>> | undefined;
    let globReferrers: [string, string][] | undefined;

    const tree: Tree = {
      kind,
      root,
      topPath,
      top,
      index,
      files: list,
      read,
      factsOf(name) {
        if (!facts.has(name)) {
          const path = index.paths.get(name);
          const text = path === undefined ? undefined : read(path);
          facts.set(
            name,
            path === undefined
              ? undefined
              : text === undefined
                ? { includes: [], sourceRefs: [], templateRefs: [], approximate: true, opaque: true }
                : factsFor(text, name, path, root),
          );
        }
        return facts.get(name);
      },
      closureOf(name) {
        let closure = closures.get(name);
        if (closure === undefined) {
          closure = slsClosure(name, index, (n) => tree.factsOf(n));
          closures.set(name, closure);
        }
        return closure;
      },
      entryHosts(entry) {
        let hosts = hostsByEntry.get(entry);
        if (hosts === undefined) {
          const e = top?.entries[entry];
          hosts =
            e === undefined
              ? { sure: new Set(), maybe: new Set() }
              : remember(cache.matches, `${e.matchType}\0${e.approximate}\0${e.target}`, () => matchHosts(e));
          hostsByEntry.set(entry, hosts);
        }
        return hosts;
      },
      usesOf(name) {
        if (uses === undefined) {
          uses = new Map();
          const entries = top?.entries ?? [];
          entries.forEach((entry, i) => {
            for (const state of entry.states) {
              const approximateName = state.name.includes(JINJA_PLACEHOLDER);
              for (const start of expandSlsPattern(state.name, index)) {
                const closure = tree.closureOf(start);
                for (const member of closure.members.keys()) {
                  const list = uses?.get(member) ?? [];
                  list.push({ entry: i, via: start, approximate: approximateName || closure.approximate });
                  uses?.set(member, list);
                }
              }
            }
          });
        }
        return uses.get(name) ?? [];
      },
      referrersOf(rel) {
        if (referrers === undefined || globReferrers === undefined) {
          referrers = new Map();
          globReferrers = [];
          for (const path of list) {
            const fileRel = relativeTo(path, root);
            if (fileRel === undefined || !TEMPLATE_EXTENSIONS.test(path)) continue;
            const name = slsNameOfPath(path, root);
            const text = read(path);
            if (text === undefined) continue;
            const f =
              name !== undefined && index.paths.get(name) === path
                ? tree.factsOf(name)
                : factsFor(text, '', path, root);
            for (const ref of [...(f?.sourceRefs ?? []), ...(f?.templateRefs ?? [])]) {
              if (/[*?[]/.test(ref)) globReferrers.push([ref, path]);
              else referrers.set(ref, (referrers.get(ref) ?? new Set()).add(path));
            }
          }
        }
        const found = new Set<string>();
        // A reference to a folder (`file.recurse`) serves every file below it.
        const parts = rel.split('/');
        for (let n = parts.length; n > 0; n--) {
          for (const path of referrers.get(parts.slice(0, n).join('/')) ?? []) found.add(path);
        }
        for (const [pattern, path] of globReferrers) {
          if (globMatch(pattern, rel) || globMatch(`${pattern}/*`, rel)) found.add(path);
        }
        found.delete(joinRoot(root, rel));
        return [...found].sort();
      },
    };
    return tree;
  }

  function matchHosts(entry: TopEntry): EntryHosts {
    const hosts: EntryHosts = { sure: new Set(), maybe: new Set() };
    for (const minion of minions) {
      let result: TargetMatch = matchTarget(entry.target, entry.matchType, minion, context);
      if (result === true && entry.approximate) result = 'maybe';
      if (result === true) hosts.sure.add(minion.id);
      else if (result === 'maybe') hosts.maybe.add(minion.id);
    }
    return hosts;
  }

  function reachOfPath(path: string): Reach {
    if (!fileSet.has(path)) {
      const previous = previousOf(path);
      if (previous !== undefined && previous.state.read(path) !== undefined) {
        const before = reachInTrees(previous, path, new Set());
        return { ...before, reasons: before.reasons.map((reason) => `(removed) ${reason}`) };
      }
    }
    return reachInTrees(current, path, new Set());
  }

  function reachInTrees(trees: Trees, path: string, seen: Set<string>): Reach {
    const pillarRel = trees.pillar === undefined ? undefined : relativeTo(path, trees.pillar.root);
    if (trees.pillar !== undefined && pillarRel !== undefined)
      return reachInTree(trees, trees.pillar, path, pillarRel, seen);
    const stateRel = relativeTo(path, trees.state.root);
    if (stateRel !== undefined) return reachInTree(trees, trees.state, path, stateRel, seen);
    return none(`${path} ${describeUnread(path)}`);
  }

  function reachInTree(trees: Trees, tree: Tree, path: string, rel: string, seen: Set<string>): Reach {
    if (path === tree.topPath) return topChange(tree.kind);
    const head = rel.split('/')[0] ?? '';
    if (tree.kind === 'state' && rel.includes('/')) {
      const kind = MINION_MODULE_DIRS.get(head);
      if (kind !== undefined) return everyHost(false, `${path} is a ${kind}: synced to every minion`);
      const masterKind = MASTER_DATA_DIRS.get(head);
      if (masterKind !== undefined) {
        return everyHost(
          true,
          `${path} is a ${masterKind}: it runs on the master and may change data of every minion`,
        );
      }
      if (MASTER_ONLY_DIRS.has(head)) return none(`${path} is a master-side module: no minion loads it`);
    }
    const name = slsNameOfPath(path, tree.root);
    if (name !== undefined) {
      const owner = tree.index.paths.get(name);
      if (owner !== path) return none(`${path} is shadowed by ${owner ?? name}: Salt never reads it`);
      return slsReach(tree, name, path);
    }
    return servedFileReach(trees, tree, path, rel, seen);
  }

  function slsReach(tree: Tree, name: string, path: string): Reach {
    const what = tree.kind === 'state' ? 'applied' : 'assigned';
    if (tree.top === undefined)
      return none(`${path} is not ${what} by any top file: ${tree.topPath} does not exist`);
    if (tree.top.opaque) {
      return everyHost(
        true,
        `${path}: ${tree.topPath} cannot be read without rendering it, so every host may get it`,
      );
    }
    const uses = tree.usesOf(name);
    if (uses.length === 0) {
      return none(
        `${path} is not ${what} by any ${tree.topPath} entry, directly or through includes: it reaches no host`,
      );
    }
    const hosts = new Set<string>();
    let approximate = false;
    const byEntry = new Map<number, Use[]>();
    for (const use of uses) byEntry.set(use.entry, [...(byEntry.get(use.entry) ?? []), use]);
    const parts: string[] = [];
    const counts: number[] = [];
    for (const [entry, entryUses] of byEntry) {
      const e = tree.top.entries[entry] as TopEntry;
      const matched = tree.entryHosts(entry);
      for (const id of matched.sure) hosts.add(id);
      for (const id of matched.maybe) hosts.add(id);
      if (matched.maybe.size > 0 || entryUses.some((use) => use.approximate)) approximate = true;
      parts.push(`${e.env} '${shown(e.target)}'${matchNote(e)}`);
      counts.push(matched.sure.size + matched.maybe.size);
    }
    const by =
      parts.length === 1
        ? `${parts[0]} to ${countHosts(hosts.size)}`
        : `${listParts(parts.map((part, i) => `${part} (${countHosts(counts[i] ?? 0)})`))}: ${countHosts(hosts.size)} in all`;
    const chain = includeChain(tree, uses[0] as Use, name);
    const subject = chain === '' ? `${path} is ${what}` : `${path} is included by ${chain}, ${what}`;
    const note = approximate
      ? '; approximate: the targeting or includes depend on Jinja or on data not in the repository'
      : '';
    return {
      hosts,
      approximate,
      reasons: [`${subject} by ${tree.topPath} ${by}${note}`],
    };
  }

  function includeChain(tree: Tree, use: Use, name: string): string {
    if (use.via === name) return '';
    const members = tree.closureOf(use.via).members;
    const chain: string[] = [];
    for (let parent = members.get(name); parent !== undefined; parent = members.get(parent)) {
      chain.push(`${parent} (${tree.index.paths.get(parent) ?? parent})`);
    }
    return chain.join(' ← ');
  }

  function servedFileReach(trees: Trees, tree: Tree, path: string, rel: string, seen: Set<string>): Reach {
    seen.add(path);
    const referrers = tree.referrersOf(rel).filter((referrer) => !seen.has(referrer));
    if (referrers.length > 0) {
      const hosts = new Set<string>();
      let approximate = false;
      const via: string[] = [];
      for (const referrer of referrers) {
        // A template the top file imports may change any entry: every host.
        const reach =
          referrer === tree.topPath
            ? everyHost(true, '')
            : reachInTree(trees, tree, referrer, relativeTo(referrer, tree.root) ?? referrer, seen);
        for (const id of reach.hosts) hosts.add(id);
        approximate ||= reach.approximate;
        via.push(referrer);
      }
      return {
        hosts,
        approximate,
        reasons: [
          `${path} is referenced by ${listParts(via)}, which ${referrers.length === 1 ? 'reaches' : 'reach'} ${countHosts(hosts.size)}`,
        ],
      };
    }
    if (isRepositoryOnly(path) || isDocument(rel)) return none(`${path} ${describeUnread(path)}`);
    // Not named anywhere: files under a state's folder are what `salt://{{ tpldir }}/…` serves.
    const dirParts = rel.split('/').slice(0, -1);
    for (let n = dirParts.length; n > 0; n--) {
      const dir = dirParts.slice(0, n).join('/');
      const names = tree.index.names.filter((name) => {
        const slsPath = tree.index.paths.get(name) ?? '';
        return relativeTo(slsPath, joinRoot(tree.root, dir)) !== undefined;
      });
      if (names.length === 0) continue;
      const hosts = new Set<string>();
      for (const name of names)
        for (const id of slsReach(tree, name, tree.index.paths.get(name) ?? name).hosts) hosts.add(id);
      return {
        hosts,
        approximate: true,
        reasons: [
          `${path} is not named by any SLS but lives under ${joinRoot(tree.root, dir)}/, whose ${tree.kind} SLS (${listParts(names)}) reach ${countHosts(hosts.size)}; approximate`,
        ],
      };
    }
    return none(`${path} is not referenced by any SLS: no minion reads it`);
  }

  function topChange(kind: Tree['kind']): Reach {
    const tree = kind === 'state' ? current.state : current.pillar;
    if (tree === undefined) return none('no pillar root');
    const previous = previousOf()?.[kind];
    if (input.previous === undefined || previous === undefined) {
      return everyHost(
        true,
        `${tree.topPath} changed and its previous version is not known: every host may be affected`,
      );
    }
    const before = previous.top ?? emptyTop();
    const after = tree.top ?? emptyTop();
    if (before.opaque || after.opaque) {
      return everyHost(
        true,
        `${tree.topPath} changed and cannot be read without rendering it: every host may be affected`,
      );
    }
    const jinjaChanged = before.jinjaTags.join('\n') !== after.jinjaTags.join('\n');
    const hosts = new Set<string>();
    let approximate = false;
    for (const minion of minions) {
      const old = signature(previous, minion.id);
      const now = signature(tree, minion.id);
      const uncertain = old.includes('?') || now.includes('?');
      if (old !== now || (jinjaChanged && uncertain)) {
        hosts.add(minion.id);
        approximate ||= uncertain;
      }
    }
    const changes = describeTopDiff(before, after);
    return {
      hosts,
      approximate,
      reasons: [
        `${tree.topPath} changes the ${kind === 'state' ? 'states' : 'pillar'} of ${countHosts(hosts.size)}${changes === '' ? '' : ` (${changes})`}${approximate ? '; approximate: targeting depends on Jinja or on data not in the repository' : ''}`,
      ],
    };
  }

  /** The SLS a host gets from a top file, each marked `?` when only possibly. */
  function signature(tree: Tree, id: string): string {
    const items = new Set<string>();
    tree.top?.entries.forEach((entry, i) => {
      const hosts = tree.entryHosts(i);
      const mark = hosts.sure.has(id) ? '' : hosts.maybe.has(id) ? '?' : undefined;
      if (mark === undefined) return;
      for (const state of entry.states) items.add(`${state.env}:${state.name}${mark}`);
    });
    return [...items].sort().join('\n');
  }

  function everyHost(approximate: boolean, reason: string): Reach {
    const hosts = allHosts();
    return { hosts, approximate, reasons: [`${reason} (${countHosts(hosts.size)})`] };
  }

  return {
    roots,
    reachOfPath,
    reachOfChange(paths) {
      const hosts = new Set<string>();
      let approximate = false;
      const reasons: string[] = [];
      for (const path of paths) {
        const reach = reachOfPath(path);
        for (const id of reach.hosts) hosts.add(id);
        approximate ||= reach.approximate;
        reasons.push(...reach.reasons);
      }
      return { hosts, approximate, reasons };
    },
  };
}

function describeTopDiff(before: TopFile, after: TopFile): string {
  const key = (e: TopEntry): string => `${e.env} '${shown(e.target)}'`;
  const states = (entries: readonly TopEntry[]): Map<string, Set<string>> => {
    const map = new Map<string, Set<string>>();
    for (const e of entries) {
      const set = map.get(key(e)) ?? new Set<string>();
      for (const s of e.states) set.add(shown(s.env === e.env ? s.name : `${s.env}:${s.name}`));
      map.set(key(e), set);
    }
    return map;
  };
  const old = states(before.entries);
  const now = states(after.entries);
  const changes: string[] = [];
  for (const [k, set] of now) {
    const was = old.get(k);
    if (was === undefined) {
      changes.push(`new entry ${k}: ${[...set].join(', ')}`);
      continue;
    }
    const added = [...set].filter((s) => !was.has(s));
    const removed = [...was].filter((s) => !set.has(s));
    if (added.length > 0) changes.push(`${k} adds ${added.join(', ')}`);
    if (removed.length > 0) changes.push(`${k} drops ${removed.join(', ')}`);
  }
  for (const k of old.keys()) if (!now.has(k)) changes.push(`entry ${k} removed`);
  const listed = changes.slice(0, 4);
  if (changes.length > listed.length) listed.push(`${changes.length - listed.length} more`);
  return listed.join('; ');
}

function emptyTop(): TopFile {
  return { entries: [], hasJinja: false, opaque: false, jinjaTags: [] };
}

/** Unresolved Jinja reads `{{…}}` in explanations. */
function shown(text: string): string {
  return text.split(JINJA_PLACEHOLDER).join('{{…}}');
}

function matchNote(entry: TopEntry): string {
  return entry.matchType === 'compound' ? '' : ` (match: ${entry.matchType})`;
}

function none(reason: string): Reach {
  return { hosts: new Set(), approximate: false, reasons: [reason] };
}

function countHosts(n: number): string {
  return `${n} ${n === 1 ? 'host' : 'hosts'}`;
}

function listParts(parts: readonly string[]): string {
  if (parts.length <= 3) return parts.join(', ');
  return `${parts.slice(0, 3).join(', ')} and ${parts.length - 3} more`;
}

/** Files that live in a Salt repository for people and CI, never for minions. */
export function isRepositoryOnly(path: string): boolean {
  const lower = path.toLowerCase();
  const base = lower.split('/').at(-1) ?? '';
  return (
    /(^|\/)(docs?|tests?|spec|\.github|\.gitlab|\.circleci|\.ci|ci|\.vscode|\.idea)\//.test(lower) ||
    /^(\.gitlab-ci\.yml|\.travis\.yml|jenkinsfile|makefile|vagrantfile|\.gitignore|\.gitattributes|\.editorconfig|\.pre-commit-config\.yaml|\.yamllint|\.salt-lint|tox\.ini|setup\.cfg|codeowners|kitchen\.yml|\.kitchen\.yml|gemfile|gemfile\.lock)$/.test(
      base,
    )
  );
}

function isDocument(rel: string): boolean {
  const base = (rel.split('/').at(-1) ?? '').toLowerCase();
  return (
    /^(readme|changelog|changes|license|copying|authors|contributing|notice)(\.|$)/.test(base) ||
    /\.(md|rst|adoc)$/.test(base)
  );
}

function describeUnread(path: string): string {
  if (/(^|\/)(docs?)\//i.test(path) || isDocument(path)) return 'is documentation: no minion reads it';
  if (/(^|\/)(tests?|spec)\//i.test(path)) return 'is a test: no minion reads it';
  if (isRepositoryOnly(path)) return 'is repository or CI configuration: no minion reads it';
  return 'is outside the state and pillar roots: no minion reads it';
}
