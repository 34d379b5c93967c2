/**
 * Writes the Salt repository behind a simulated fleet: weeks of history by several authors, merges of
 * branches written days earlier, decoys close to the culprit (other roles, docs, pillar, CI), the culprit
 * itself reaching exactly the hosts the fleet's change targeted, and its revert after the incident.
 * Deterministic from the scenario's seed; written with `git fast-import` in a clean git environment.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FleetData } from '../analysis/analysis.models.ts';
import { resolveNoise, type FleetScenario, type FleetTruth } from './fleet-sim.ts';
import { slabCatalog } from './host-catalog.ts';
import { buildHostProfiles } from './host-profile.ts';
import { createRng, deriveSeed, shuffle, type Rng } from './prng.ts';
import {
  FIXED_FILES,
  fleetApiGrain,
  pillarTop,
  repositoryUnits,
  topFile,
  type Unit,
} from './salt-repo.content.ts';

const run = promisify(execFile);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface SaltRepoOptions {
  /** Commits on the deployed branch and its merged branches, about; default 300. */
  commits?: number;
  /** Days of history before the culprit; default 28. */
  historyDays?: number;
  branch?: string;
}

export interface SaltRepository {
  /** The culprit's sha on the deployed branch (a merge when the change came in on a branch). */
  culprit: string | null;
  culpritLandedAt: number | null;
  /** The commit that reverts the culprit after the incident. */
  revert: string | null;
  branch: string;
  commits: number;
  /** A Salt master `nodegroups:` file, outside the repository. */
  nodegroupsPath: string;
  /** The hosts the culprit reaches: the change's targeted hosts among the fleet's. */
  targeted: Set<string>;
  /**
   * How the culprit reaches them: `grain`, `common-state`, `pillar-all`, `state-roles`, `pillar-roles` or
   * `nodegroup`, with `+merge` when a merge brought it; `none` without a change.
   */
  culpritKind: string;
}

const AUTHORS = [
  { name: 'Sanket Patel', email: 'sanket@example.net' },
  { name: 'Maria Jensen', email: 'maria@example.net' },
  { name: 'Tom Okafor', email: 'tom@example.net' },
  { name: 'Lena Fischer', email: 'lena@example.net' },
  { name: 'Ravi Iyer', email: 'ravi@example.net' },
  { name: 'Chloe Martin', email: 'chloe@example.net' },
] as const;
type Author = (typeof AUTHORS)[number];

interface Edit {
  unit: Unit;
  at: number;
}

type Planned =
  | { kind: 'edit'; at: number; unit: Unit; author: Author }
  | {
      kind: 'merge';
      at: number;
      author: Author;
      name: string;
      start: number;
      edits: Edit[];
      culprit: boolean;
    }
  | { kind: 'culprit'; at: number; author: Author }
  | { kind: 'revert'; at: number; author: Author; of: 'culprit' | 'decoy' };

/** The change's targeted hosts among the fleet's, drawn as the simulator draws them. */
export function targetedHosts(scenario: FleetScenario, fleet: FleetData): Set<string> {
  const change = scenario.change;
  const present = new Set(fleet.hosts.map((h) => h.host));
  if (change === null) return new Set();
  const target = change.target;
  if (target.kind === 'all') return present;
  if (target.kind === 'roles') {
    return new Set(
      fleet.hosts.filter((h) => target.roles.includes(h.labels['role'] ?? '')).map((h) => h.host),
    );
  }
  const profiles = buildHostProfiles(scenario, resolveNoise(scenario.noise), slabCatalog(change.effect));
  const chosen = profiles.map((p) => p.host);
  shuffle(chosen, createRng(deriveSeed(scenario.seed, 'target')));
  return new Set(
    chosen.slice(0, Math.round(target.fraction * profiles.length)).filter((h) => present.has(h)),
  );
}

export async function writeSaltRepository(
  dir: string,
  scenario: FleetScenario,
  fleet: FleetData,
  truth: FleetTruth,
  options: SaltRepoOptions = {},
): Promise<SaltRepository> {
  const branch = options.branch ?? 'main';
  const totalCommits = options.commits ?? 300;
  const historyMs = (options.historyDays ?? 28) * DAY;
  const rng = createRng(deriveSeed(scenario.seed, 'salt-repo'));
  const roles = [...new Set(fleet.hosts.map((h) => h.labels['role'] ?? ''))].filter((r) => r !== '').sort();
  const dcs = [...new Set(fleet.hosts.map((h) => h.labels['dc'] ?? ''))].filter((d) => d !== '').sort();
  const targeted = targetedHosts(scenario, fleet);
  const change = scenario.change;

  // The change is live on the master at `change.at` (the simulator applies it from there); it landed on the
  // branch a little earlier: CI and the master's gitfs poll take a minute or two.
  const landed =
    change === null ? null : Math.round((change.at - rng.uniform(0.5, 3) * MINUTE) / 1000) * 1000;
  const center =
    landed ??
    Math.round((scenario.from + (scenario.to - scenario.from) * rng.uniform(0.3, 0.6)) / 1000) * 1000;
  const trueOnsets = truth.change ? [...truth.change.hosts.values()] : [];
  const firstOnset = trueOnsets.length > 0 ? Math.min(...trueOnsets) : (change?.at ?? center);

  // Targets: the culprit's hosts, a decoy wave, and the hosts the inventory client reaches.
  const hostIds = fleet.hosts.map((h) => h.host).sort();
  const wave1 = hostIds.filter(() => rng.chance(0.4));
  const inventoryRoles =
    change?.target.kind === 'roles'
      ? change.target.roles.filter((r) => roles.includes(r))
      : roles.filter(() => rng.chance(0.4)).slice(0, 3);
  if (inventoryRoles.length === 0 && roles[0] !== undefined) inventoryRoles.push(roles[0]);
  const inventoryTarget = inventoryRoles.map((r) => `G@role:${r}`).join(' or ');
  const wave2 =
    change?.target.kind === 'fraction' ? [...targeted].sort() : hostIds.filter(() => rng.chance(0.5));

  const variant = culpritVariant(change?.target.kind ?? null, rng);
  const units = repositoryUnits(roles, dcs);
  const byPath = new Map(units.map((u) => [u.path, u]));
  const extraUnits: Unit[] = [
    {
      path: 'salt/inventory/client.sls',
      reach: change?.target.kind === 'roles' ? 'target' : 'group:inventory',
      weight: 0.8,
      subjects: ['inventory client: retries', 'inventory client: cache host facts'],
      render: (rev) => inventoryClient(false, rev),
    },
    {
      path: 'salt/canary/init.sls',
      reach: 'group:wave1',
      weight: 0.8,
      subjects: ['canary: next kernel', 'canary: sysctl trial'],
      render: (rev) => `vm.vfs_cache_pressure:\n  sysctl.present:\n    - value: ${100 + (rev % 5) * 25}\n`,
    },
    {
      path: 'salt/nss/tuning.sls',
      reach: change?.target.kind === 'fraction' ? 'target' : 'group:wave2',
      weight: 0.5,
      subjects: ['nss: cache size', 'nss: sysconfig'],
      render: (rev) => nssTuning(false, rev),
    },
    {
      path: 'salt/_grains/fleet_api.py',
      reach: 'all',
      weight: 0.3,
      subjects: ['fleet_api grain: timeout', 'fleet_api grain: log when the API is down'],
      render: (rev) => fleetApiGrain(false, rev),
    },
    {
      path: 'pillar/inventory.sls',
      reach: variant === 'pillar-roles' ? 'target' : 'all',
      weight: 0.3,
      subjects: ['pillar: inventory timeouts'],
      render: (rev) => inventoryPillar(false, rev),
    },
  ];
  for (const u of extraUnits) byPath.set(u.path, u);
  const allUnits = [...byPath.values()];
  const culpritPaths = culpritFiles(variant);
  const revs = new Map(allUnits.map((u) => [u.path, rng.int(0, 20)]));

  // Hosts each unit reaches, to keep units that reach just what the culprit reaches away from it: close
  // in time they could not be told apart by anyone.
  const hostsOf = (reach: string): Set<string> => {
    if (reach === 'all') return new Set(hostIds);
    if (reach === 'none') return new Set();
    if (reach === 'target') return targeted;
    const [kind, value] = reach.split(':') as [string, string];
    if (kind === 'role')
      return new Set(fleet.hosts.filter((h) => h.labels['role'] === value).map((h) => h.host));
    if (kind === 'dc') return new Set(fleet.hosts.filter((h) => h.labels['dc'] === value).map((h) => h.host));
    if (value === 'wave1') return new Set(wave1);
    if (value === 'wave2') return new Set(wave2);
    return new Set(
      fleet.hosts.filter((h) => inventoryRoles.includes(h.labels['role'] ?? '')).map((h) => h.host),
    );
  };
  const alike = (unit: Unit): boolean => {
    if (targeted.size === 0) return false;
    const hosts = hostsOf(unit.reach);
    let both = 0;
    for (const h of hosts) if (targeted.has(h)) both++;
    return both / (hosts.size + targeted.size - both || 1) >= 0.8;
  };
  const quiet = { from: center - 90 * MINUTE, to: Math.max(firstOnset, center) + 15 * MINUTE };
  const usable = (unit: Unit, at: number): boolean => {
    // The culprit's own files stay untouched around it, so its revert undoes only the culprit.
    if (culpritPaths.includes(unit.path) && Math.abs(at - center) < 2 * DAY) return false;
    return !(alike(unit) && at >= quiet.from && at <= quiet.to);
  };
  const pickUnit = (at: number, filter: (u: Unit) => boolean = () => true): Unit => {
    const pool = allUnits.filter((u) => filter(u) && usable(u, at));
    return weighted(pool.length > 0 ? pool : allUnits.filter((u) => u.reach === 'none'), rng);
  };

  // Decoys near the culprit: other roles, docs, pillar, CI, a data centre, a merged branch, and edits
  // reaching every host a few hours before and after.
  const plan: Planned[] = [];
  const author = (): Author => rng.pick(AUTHORS);
  const near = (lo: number, hi: number): number =>
    Math.round((center + rng.uniform(lo, hi) * MINUTE) / 1000) * 1000;
  const subset = (u: Unit): boolean => u.reach.startsWith('role:') || u.reach.startsWith('group:');
  const decoys: [number, (u: Unit) => boolean][] = [
    [near(-10, -1), (u) => u.reach === 'none'],
    [near(-60, -5), subset],
    [near(2, 30), (u) => u.path.startsWith('pillar/') && u.reach !== 'all'],
    [near(1, 20), (u) => u.reach === 'none'],
    [near(-120, -30), (u) => u.reach.startsWith('dc:') || subset(u)],
    [near(-40, -5), (u) => u.reach === 'group:wave1' || subset(u)],
    [near(-360, -95), (u) => u.reach === 'all'],
    [Math.round((firstOnset + rng.uniform(30, 120) * MINUTE) / 1000) * 1000, (u) => u.reach === 'all'],
  ];
  let decoyForRevert: Planned | undefined;
  for (const [at, filter] of decoys) {
    const edit: Planned = { kind: 'edit', at, unit: pickUnit(at, filter), author: author() };
    // Someone reverts the other-role decoy during the incident: a guess that did not help.
    if (filter === subset) decoyForRevert = edit;
    plan.push(edit);
  }
  const decoyMergeAt = near(-90, -10);
  plan.push(mergePlan(decoyMergeAt, rng, author(), (at) => pickUnit(at, subset), false));

  const viaMerge = landed !== null && rng.chance(0.35);
  if (landed !== null) {
    if (viaMerge)
      plan.push(mergePlan(landed, rng, author(), (at) => pickUnit(at, (u) => u.reach === 'none'), true));
    else plan.push({ kind: 'culprit', at: landed, author: rng.pick(AUTHORS) });
    plan.push({
      kind: 'revert',
      at: Math.round((firstOnset + rng.uniform(3, 10) * HOUR) / 1000) * 1000,
      author: author(),
      of: 'culprit',
    });
    if (decoyForRevert && rng.chance(0.5)) {
      plan.push({
        kind: 'revert',
        at: Math.round((firstOnset + rng.uniform(40, 120) * MINUTE) / 1000) * 1000,
        author: author(),
        of: 'decoy',
      });
    }
  }

  // Background history: working hours mostly, and a merge of an older branch now and then.
  const start = center - historyMs;
  const end = scenario.to + 6 * HOUR;
  let planned = plan.reduce((n, p) => n + (p.kind === 'merge' ? p.edits.length + 1 : 1), 1);
  while (planned < totalCommits) {
    const at = workingTime(start, end, rng);
    if (rng.chance(0.06)) {
      const merge = mergePlan(at, rng, author(), (t) => pickUnit(t), false);
      plan.push(merge);
      planned += merge.edits.length + 1;
    } else {
      plan.push({ kind: 'edit', at, unit: pickUnit(at), author: author() });
      planned++;
    }
  }
  plan.sort((a, b) => a.at - b.at);

  // Realize: a tree per branch, written as a fast-import stream in two parts (the revert names the
  // culprit's sha, known only after the first part is imported).
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const env = gitEnv(dir);
  await run('git', ['init', '--quiet', '-b', branch, dir], { env });
  const marksPath = join(dir, '.git', 'onset-marks');
  const tree = new Map<string, string>();
  for (const u of allUnits) tree.set(u.path, u.render(revs.get(u.path) ?? 0));
  for (const [path, content] of Object.entries(FIXED_FILES)) tree.set(path, content);
  tree.set(
    'salt/top.sls',
    topFile(roles, dcs, [
      `  '${inventoryTarget}':`,
      '    - inventory.client',
      "  'wave1':",
      '    - match: nodegroup',
      '    - canary',
      "  'N@wave2':",
      '    - nss.tuning',
    ]),
  );
  tree.set(
    'pillar/top.sls',
    variant === 'pillar-roles'
      ? pillarTop(roles, [], [`  '${inventoryTarget}':`, '    - match: compound', '    - inventory'])
      : pillarTop(roles, ['inventory'], []),
  );
  const firstAt = Math.min(start, ...plan.map((p) => (p.kind === 'merge' ? p.start : p.at))) - DAY;
  const first = new FastImportStream(branch);
  let head = first.commit({
    author: AUTHORS[0],
    at: firstAt,
    message: 'Initial import of the Salt states',
    files: [...tree],
  });
  const nodegroups = {
    mailhosts: 'G@role:mail',
    wave1: `L@${wave1.join(',')}`,
    wave2: `L@${wave2.join(',')}`,
    eu: 'G@dc:ams1 or G@dc:fra1 or G@dc:lon1',
  };
  const nodegroupsYaml = `nodegroups:\n${Object.entries(nodegroups)
    .map(([k, v]) => `  ${k}: '${v}'`)
    .join('\n')}\n`;
  tree.set('master.d/nodegroups.conf', nodegroupsYaml);
  head = first.commit({
    author: AUTHORS[1],
    at: firstAt + HOUR,
    message: 'master: nodegroups',
    files: [['master.d/nodegroups.conf', nodegroupsYaml]],
    from: head,
  });

  const edit = (unit: Unit): [string, string] => {
    const rev = (revs.get(unit.path) ?? 0) + 1;
    revs.set(unit.path, rev);
    return [unit.path, unit.render(rev)];
  };
  const culpritSubject = culpritMessage(variant);
  let culpritMark: number | null = null;
  let culpritBefore: [string, string | null][] = [];
  let decoyEdit: { mark: number; before: [string, string | null][]; subject: string } | null = null;
  let revertMark: number | null = null;
  let commits = 2;
  const realize = (p: Planned, stream: FastImportStream, marks: ReadonlyMap<number, string>): void => {
    if (p.kind === 'edit') {
      const file = edit(p.unit);
      const before = tree.get(file[0]) ?? null;
      tree.set(file[0], file[1]);
      const subject = rng.pick(p.unit.subjects);
      head = stream.commit({ author: p.author, at: p.at, message: subject, files: [file], from: head });
      if (p === decoyForRevert) {
        decoyEdit = { mark: head, before: [[file[0], before]], subject };
      }
      commits++;
    } else if (p.kind === 'culprit') {
      const files = culpritContent(variant, revs);
      culpritBefore = files.map(([path]) => [path, tree.get(path) ?? null]);
      for (const [path, content] of files) tree.set(path, content);
      head = stream.commit({ author: p.author, at: p.at, message: culpritSubject, files, from: head });
      culpritMark = head;
      commits++;
    } else if (p.kind === 'merge') {
      const brought = p.culprit ? culpritContent(variant, revs) : [];
      const result = stream.mergeBranch(p, head, edit, { files: brought, message: culpritSubject }, tree);
      if (p.culprit) {
        culpritBefore = result.before;
        culpritMark = result.mark;
      }
      head = result.mark;
      commits += result.commits;
    } else {
      const decoy = decoyEdit as { mark: number; before: [string, string | null][]; subject: string } | null;
      const target =
        p.of === 'culprit'
          ? { mark: culpritMark, before: culpritBefore, subject: culpritSubject }
          : { mark: decoy?.mark ?? null, before: decoy?.before ?? [], subject: decoy?.subject ?? '' };
      const sha = target.mark === null ? undefined : marks.get(target.mark);
      if (sha === undefined) return;
      for (const [path, content] of target.before) {
        if (content === null) tree.delete(path);
        else tree.set(path, content);
      }
      head = stream.commit({
        author: p.author,
        at: p.at,
        message: `Revert "${target.subject}"\n\nThis reverts commit ${sha}.\n`,
        files: target.before,
        from: head,
      });
      if (p.of === 'culprit') revertMark = head;
      commits++;
    }
  };
  // The reverts name shas known only once the commits before them are imported: a second part.
  const split = landed ?? Infinity;
  for (const p of plan) if (p.at <= split && p.kind !== 'revert') realize(p, first, new Map());
  await first.importInto(dir, env, [`--export-marks=${marksPath}`]);
  let marks = await readMarks(marksPath);
  const rest = plan.filter((p) => p.at > split || p.kind === 'revert');
  if (rest.length > 0) {
    const second = new FastImportStream(branch, first.nextMark);
    for (const p of rest) realize(p, second, marks);
    await second.importInto(dir, env, [`--import-marks=${marksPath}`, `--export-marks=${marksPath}`]);
    marks = await readMarks(marksPath);
  }
  const culprit = culpritMark === null ? null : (marks.get(culpritMark) ?? null);
  const revert = revertMark === null ? null : (marks.get(revertMark) ?? null);
  const nodegroupsPath = `${dir}.nodegroups.yaml`;
  await writeFile(nodegroupsPath, nodegroupsYaml);
  return {
    culprit,
    culpritLandedAt: culprit === null ? null : landed,
    revert,
    branch,
    commits,
    nodegroupsPath,
    targeted,
    culpritKind: `${variant}${viaMerge ? '+merge' : ''}`,
  };
}

type Variant =
  'grain' | 'common-state' | 'pillar-all' | 'state-roles' | 'pillar-roles' | 'nodegroup' | 'none';

function culpritVariant(target: 'all' | 'roles' | 'fraction' | null, rng: Rng): Variant {
  if (target === 'all') return rng.pick(['grain', 'grain', 'common-state', 'pillar-all'] as const);
  if (target === 'roles') return rng.pick(['state-roles', 'state-roles', 'pillar-roles'] as const);
  if (target === 'fraction') return 'nodegroup';
  return 'none';
}

function culpritFiles(variant: Variant): string[] {
  switch (variant) {
    case 'grain':
      return ['salt/_grains/fleet_api.py'];
    case 'common-state':
      return ['salt/common/pki.sls'];
    case 'pillar-all':
    case 'pillar-roles':
      return ['pillar/inventory.sls'];
    case 'state-roles':
      return ['salt/inventory/client.sls'];
    case 'nodegroup':
      return ['salt/nss/tuning.sls'];
    case 'none':
      return [];
  }
}

function culpritMessage(variant: Variant): string {
  switch (variant) {
    case 'grain':
      return 'fleet_api grain: talk to inventory over https';
    case 'common-state':
      return 'pki: trust the internal CA through the NSS database';
    case 'pillar-all':
    case 'pillar-roles':
      return 'pillar: inventory API over https';
    case 'state-roles':
      return 'inventory client: fetch host facts over https';
    case 'nodegroup':
      return 'nss: enable the shared certificate database on wave 2';
    case 'none':
      return '';
  }
}

function culpritContent(variant: Variant, revs: ReadonlyMap<string, number>): [string, string][] {
  const rev = (path: string): number => revs.get(path) ?? 0;
  switch (variant) {
    case 'grain':
      return [['salt/_grains/fleet_api.py', fleetApiGrain(true, rev('salt/_grains/fleet_api.py'))]];
    case 'common-state':
      return [
        [
          'salt/common/pki.sls',
          `${FIXED_FILES['salt/common/pki.sls'] ?? ''}\nlibnss3-tools:\n  pkg.installed: []\n\nnssdb-internal-ca:\n  cmd.run:\n    - name: certutil -d sql:/etc/pki/nssdb -A -t C,, -n example-root -i /usr/local/share/ca-certificates/example-root.crt\n    - unless: certutil -d sql:/etc/pki/nssdb -L -n example-root\n`,
        ],
      ];
    case 'pillar-all':
    case 'pillar-roles':
      return [['pillar/inventory.sls', inventoryPillar(true, rev('pillar/inventory.sls'))]];
    case 'state-roles':
      return [['salt/inventory/client.sls', inventoryClient(true, rev('salt/inventory/client.sls'))]];
    case 'nodegroup':
      return [['salt/nss/tuning.sls', nssTuning(true, rev('salt/nss/tuning.sls'))]];
    case 'none':
      return [];
  }
}

function inventoryClient(https: boolean, rev: number): string {
  return `inventory-client:\n  pkg.installed:\n    - name: inventory-client\n\n/etc/inventory/client.conf:\n  file.managed:\n    - contents: |\n        url = ${https ? 'https' : 'http'}://inventory.example.net/api/v2\n        interval = ${60 + (rev % 4) * 30}\n${https ? '        ca_file = /etc/ssl/certs/ca-certificates.crt\n' : ''}`;
}

function inventoryPillar(https: boolean, rev: number): string {
  return `inventory:\n  url: ${https ? 'https' : 'http'}://inventory.example.net/api/v2\n  timeout: ${5 + (rev % 4)}\n${https ? '  verify: true\n' : ''}`;
}

function nssTuning(enabled: boolean, rev: number): string {
  return `/etc/sysconfig/nss:\n  file.managed:\n    - contents: |\n        NSS_SDB_USE_CACHE=${enabled ? 'no' : 'yes'}\n        # revision ${rev}\n`;
}

function mergePlan(
  at: number,
  rng: Rng,
  author: Author,
  pick: (at: number) => Unit,
  culprit: boolean,
): Extract<Planned, { kind: 'merge' }> {
  const start = at - Math.round(rng.uniform(2, 9) * DAY);
  const n = culprit ? rng.int(0, 2) : rng.int(1, 4);
  const edits: Edit[] = [];
  for (let i = 0; i < n; i++) {
    const t = Math.round((start + ((at - start) * (i + 1)) / (n + 2)) / 1000) * 1000;
    edits.push({ unit: pick(t), at: t });
  }
  const topic = culprit
    ? 'inventory-https'
    : (edits[0]?.unit.path.split('/')[1]?.replace(/\.\w+$/, '') ?? 'misc');
  return { kind: 'merge', at, author, name: `feature/${topic}-${rng.int(10, 999)}`, start, edits, culprit };
}

function weighted(units: readonly Unit[], rng: Rng): Unit {
  const total = units.reduce((n, u) => n + u.weight, 0);
  let x = rng.next() * total;
  for (const u of units) {
    x -= u.weight;
    if (x <= 0) return u;
  }
  const last = units.at(-1);
  if (last === undefined) throw new RangeError('no unit to edit');
  return last;
}

/** A time in [from, to], mostly in working hours on weekdays. */
function workingTime(from: number, to: number, rng: Rng): number {
  for (;;) {
    const t = from + rng.next() * (to - from);
    const d = new Date(t);
    const hour = d.getUTCHours();
    const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
    const p = (hour >= 7 && hour < 19 ? 1 : 0.2) * (weekend ? 0.25 : 1);
    if (rng.chance(p)) return Math.round(t / 1000) * 1000;
  }
}

function gitEnv(home: string): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
}

async function readMarks(path: string): Promise<Map<number, string>> {
  const marks = new Map<number, string>();
  for (const line of (await readFile(path, 'utf8')).split('\n')) {
    const m = /^:(\d+) ([0-9a-f]{40,64})$/.exec(line);
    if (m?.[1] && m[2]) marks.set(Number(m[1]), m[2]);
  }
  return marks;
}

/** A `git fast-import` stream; marks number every commit. */
class FastImportStream {
  private readonly parts: string[] = [];
  constructor(
    private readonly branch: string,
    public nextMark = 1,
  ) {}

  commit(c: {
    ref?: string;
    author: Author;
    at: number;
    message: string;
    files: Iterable<readonly [string, string | null]>;
    from?: number;
    merge?: number;
  }): number {
    const mark = this.nextMark++;
    const who = `${c.author.name} <${c.author.email}> ${Math.floor(c.at / 1000)} +0000`;
    const message = c.message.endsWith('\n') ? c.message : `${c.message}\n`;
    const out = [
      `commit refs/heads/${c.ref ?? this.branch}`,
      `mark :${mark}`,
      `author ${who}`,
      `committer ${who}`,
      `data ${Buffer.byteLength(message)}`,
      message.replace(/\n$/, ''),
    ];
    if (c.from !== undefined) out.push(`from :${c.from}`);
    if (c.merge !== undefined) out.push(`merge :${c.merge}`);
    for (const [path, content] of c.files) {
      if (content === null) out.push(`D ${path}`);
      else out.push(`M 100644 inline ${path}`, `data ${Buffer.byteLength(content)}`, content);
    }
    this.parts.push(out.join('\n') + '\n');
    return mark;
  }

  /**
   * A branch started from `head` days earlier (its commits keep their own dates), merged with a merge
   * commit at `p.at` that lands everything it brings.
   */
  mergeBranch(
    p: Extract<Planned, { kind: 'merge' }>,
    head: number,
    edit: (unit: Unit) => [string, string],
    culprit: { files: [string, string][]; message: string },
    tree: Map<string, string>,
  ): { mark: number; before: [string, string | null][]; commits: number } {
    const ref = p.name;
    let tip = head;
    const changed = new Map<string, string>();
    const people = [p.author, ...AUTHORS.filter((a) => a !== p.author)];
    if (culprit.files.length > 0) {
      tip = this.commit({
        ref,
        author: p.author,
        at: p.start + HOUR,
        message: culprit.message,
        files: culprit.files,
        from: tip,
      });
      for (const [path, content] of culprit.files) changed.set(path, content);
    }
    p.edits.forEach((e, i) => {
      const file = edit(e.unit);
      changed.set(file[0], file[1]);
      tip = this.commit({
        ref,
        author: people[i % 2] ?? p.author,
        at: e.at,
        message: e.unit.subjects[0] ?? 'update',
        files: [file],
        from: tip,
      });
    });
    const before: [string, string | null][] = [...changed.keys()].map((path) => [
      path,
      tree.get(path) ?? null,
    ]);
    for (const [path, content] of changed) tree.set(path, content);
    const mark = this.commit({
      author: p.author,
      at: p.at,
      message: `Merge branch '${p.name}' into '${this.branch}'`,
      files: changed,
      from: head,
      merge: tip,
    });
    return { mark, before, commits: p.edits.length + (culprit.files.length > 0 ? 2 : 1) };
  }

  async importInto(dir: string, env: Record<string, string>, args: string[]): Promise<void> {
    const child = spawn('git', ['fast-import', '--quiet', '--done', ...args], {
      cwd: dir,
      env,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`git fast-import failed (${code}): ${stderr.slice(0, 2000)}`)),
      );
    });
    child.stdin.end(this.parts.join('') + 'done\n');
    await done;
  }
}
