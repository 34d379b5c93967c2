import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { AppError } from '../http/errors.ts';
import type { Logger } from '../logger.ts';
import * as repo from './changes.repository.ts';
import type { ChangeEventInput } from './changes.schemas.ts';
import { createGitAdapter, type GitAdapter, type GitCommit, type GitPatch } from './git.adapter.ts';
import { isGitError } from './git.errors.ts';
import { redactUrls } from './git.exec.ts';
import { parseNodegroups, type Nodegroups } from './salt/nodegroups.ts';
import {
  createSaltReach,
  createSaltReachCache,
  TEMPLATE_EXTENSIONS,
  type Reach,
  type SaltHost,
  type SaltReachCache,
} from './salt/reach.ts';
import { matchTarget, minionFromLabels } from './salt/salt-target.ts';
import type { CandidateChange } from './ranking.ts';

export type ChangeCommit = repo.CommitRow;
export type ChangeEvent = repo.EventRow;
export type SyncState = repo.SyncStateRow;

export interface SyncResult {
  branch: string;
  head: string;
  previousHead: string | null;
  /** Commits stored by this sync. */
  added: number;
  /** The stored chain was replaced: a force-push, another branch or source, or the first sync. */
  replaced: boolean;
  syncedAt: number;
}

export interface ChangeList {
  commits: ChangeCommit[];
  events: ChangeEvent[];
  /** More commits or events landed in the window than the limit. */
  truncated: boolean;
}

export type ChangeDetail =
  | { kind: 'commit'; commit: ChangeCommit; patch: GitPatch; reach: Reach; hostsTotal: number }
  | { kind: 'event'; event: ChangeEvent; reach: Reach; hostsTotal: number };

export interface ChangesService {
  /** A repository is configured (`ONSET_GIT_REPO`). */
  readonly enabled: boolean;
  /** Syncs now, then every interval. */
  start(): void;
  /** Stops the loop and waits a little for a running sync. */
  stop(): Promise<void>;
  /** Why the changes feature is not ready: empty once the repository has been read. */
  pending(): string[];
  /** Fetches and stores the branch; one sync at a time, a call during one waits for the next. */
  sync(): Promise<SyncResult>;
  /** Asks for a sync without waiting (webhooks); failures are recorded and logged. */
  requestSync(reason: string): void;
  state(): Promise<SyncState | undefined>;
  recordEvent(input: ChangeEventInput): Promise<{ event: ChangeEvent; created: boolean }>;
  list(window: { from: number; to: number; limit: number }): Promise<ChangeList>;
  /** One commit (by sha or unique prefix) or event (by id), with its patch and reach. */
  detail(id: string): Promise<ChangeDetail>;
  candidates(input: { from: number; to: number; hosts: SaltHost[] }): Promise<CandidateChange[]>;
  /** Resolves when the background reach work asked for so far is done. */
  precomputed(): Promise<void>;
}

export interface ChangesDeps {
  /** Defaults to the hardened mirror under `<dataDir>/repo.git`. */
  git?: GitAdapter;
  /** Defaults to the file `salt.nodegroupsFile` names. */
  nodegroups?: Nodegroups;
}

const patchBytes = 256 * 1024;
const stopWaitMs = 10_000;
/** After a sync, reach is computed ahead for the commits that landed this long before the newest one. */
const precomputeWindowMs = 30 * 24 * 3600_000;
/** Commits per background step: a step holds the reach lock this long at most. */
const precomputeChunk = 200;
/** Commits already stored between two missing ones that a single walk still steps over. */
const walkGap = 64;
const memoLimit = 20_000;
const revertPattern = /This reverts commit ([0-9a-f]{7,64})/i;

/** The sha a revert commit names in its body (git's own `git revert` message). */
export function revertedSha(body: string): string | undefined {
  return revertPattern.exec(body)?.[1]?.toLowerCase();
}

async function loadNodegroups(file: string | undefined): Promise<Nodegroups | undefined> {
  if (file === undefined) return undefined;
  try {
    return parseNodegroups(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`ONSET_SALT_NODEGROUPS: ${file}: ${(err as Error).message}`]);
  }
}

function buildGit(config: Pick<Config, 'git' | 'dataDir'>): GitAdapter | undefined {
  if (config.git.repo === undefined) return undefined;
  try {
    return createGitAdapter({
      source: config.git.repo,
      ...(config.git.branch === undefined ? {} : { branch: config.git.branch }),
      cacheDir: path.join(config.dataDir, 'repo.git'),
    });
  } catch (err) {
    const setting = isGitError(err, 'git.invalid_branch') ? 'ONSET_GIT_BRANCH' : 'ONSET_GIT_REPO';
    throw new ConfigError([`${setting}: ${(err as Error).message}`]);
  }
}

/** A git failure as the API speaks it; database errors pass through to the error handler. */
function asAppError(err: unknown): unknown {
  if (!isGitError(err)) return err;
  const message = redactUrls(err.message);
  if (err.code === 'git.timeout') return new AppError('git.timeout', message, [], 60);
  if (err.code === 'git.too_large') return new AppError('git.too_large', message);
  return new AppError('git.failed', message);
}

function toRow(c: GitCommit): Omit<repo.CommitRow, 'position'> {
  return {
    sha: c.sha,
    parents: c.parents,
    author: c.author,
    authorEmail: c.authorEmail,
    authoredAt: c.authoredAt.toMillis(),
    committedAt: c.committedAt.toMillis(),
    landedAt: c.landedAt.toMillis(),
    subject: c.subject,
    body: c.body,
    files: c.files.map((f) => ({
      path: f.path,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      ...(f.oldPath === undefined ? {} : { old_path: f.oldPath }),
    })),
    merge: c.merge,
    mergedShas: c.mergedCommits ?? [],
  };
}

const byKey = <T>([a]: readonly [string, T], [b]: readonly [string, T]) => (a < b ? -1 : a > b ? 1 : 0);

/** Labels in a form that compares equal whatever their order. */
function labelsKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(labels).sort(byKey));
}

/** Same hosts and labels, in any order, and the same nodegroups give the same key. */
function hostsKey(hosts: readonly SaltHost[], nodegroups: Nodegroups | undefined): string {
  const sorted = hosts.map((h) => [h.id, labelsKey(h.labels)] as const).sort(byKey);
  return createHash('sha256')
    .update(JSON.stringify([sorted, nodegroups ?? null]))
    .digest('hex');
}

/** A commit's reach narrowed to some of the hosts it was computed for. */
function narrowed(reach: Reach, ids: ReadonlySet<string>): Reach {
  return { ...reach, hosts: new Set([...reach.hosts].filter((id) => ids.has(id))) };
}

const changedPaths = (commit: ChangeCommit): string[] =>
  commit.files.flatMap((f) =>
    f.old_path !== undefined && f.old_path !== f.path ? [f.old_path, f.path] : [f.path],
  );

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function createChangesService(
  db: Db,
  config: Pick<Config, 'git' | 'salt' | 'dataDir'>,
  logger: Logger,
  deps: ChangesDeps = {},
): Promise<ChangesService> {
  const git = deps.git ?? buildGit(config);
  const nodegroups = deps.nodegroups ?? (await loadNodegroups(config.salt.nodegroupsFile));
  const sourceKey = git === undefined ? '' : `${git.source.display}`;
  // Parsed files and target matches, per host set: a couple are live at once (the fleet, an analysis).
  const saltCaches = new Map<string, SaltReachCache>();
  // Reach by host set and sha: stored rows decoded once.
  const memo = new Map<string, Reach>();
  // Each stored host set, as host → labels key, to tell whether asked hosts are among them unchanged.
  const hostSets = new Map<string, Map<string, string>>();
  // Reach is computed by one walk at a time: the background and an analysis never race for the CPU.
  let reachLock: Promise<unknown> = Promise.resolve();
  let precomputing: Promise<void> | undefined;
  let precomputeAgain = false;
  let ready = git === undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SyncResult> | undefined;
  let queued: Promise<SyncResult> | undefined;

  async function runSync(active: GitAdapter): Promise<SyncResult> {
    const started = Date.now();
    try {
      const fetched = await active.sync();
      const state = await repo.readSyncState(db);
      const storedHead =
        state !== undefined && state.source === sourceKey && state.branch === fetched.branch
          ? state.head
          : null;
      let result: SyncResult;
      if (storedHead !== null && storedHead === fetched.head) {
        await repo.recordSynced(db, {
          source: sourceKey,
          branch: fetched.branch,
          head: fetched.head,
          at: started,
        });
        result = { ...fetched, previousHead: storedHead, added: 0, replaced: false, syncedAt: started };
      } else {
        const listing = await active.listCommits(storedHead === null ? {} : { since: storedHead });
        const replaced = storedHead === null || listing.rewritten;
        // A rewritten history replaces the stored chain at once: readers never see half of either.
        await db.transaction().execute(async (trx) => {
          if (replaced) await repo.deleteAllCommits(trx);
          await repo.appendCommits(trx, listing.commits.map(toRow));
          await repo.recordSynced(trx, {
            source: sourceKey,
            branch: fetched.branch,
            head: listing.head,
            at: started,
          });
        });
        result = {
          branch: fetched.branch,
          head: listing.head,
          previousHead: storedHead,
          added: listing.commits.length,
          replaced,
          syncedAt: started,
        };
      }
      ready = true;
      requestPrecompute();
      logger.info(
        {
          branch: result.branch,
          head: result.head,
          added: result.added,
          replaced: result.replaced,
          ms: Date.now() - started,
        },
        'repository synced',
      );
      return result;
    } catch (err) {
      const message = redactUrls((err as Error).message ?? String(err));
      if (!stopped) {
        logger.warn(
          { code: isGitError(err) ? err.code : undefined, error: message },
          'repository sync failed',
        );
      }
      try {
        await repo.recordSyncError(db, { source: sourceKey, error: message, at: started });
        // Commits stored by an earlier run of the same source still answer questions.
        const state = await repo.readSyncState(db);
        if (state?.head) ready = true;
      } catch (recordErr) {
        if (!stopped) logger.warn({ error: (recordErr as Error).message }, 'could not record the sync error');
      }
      throw asAppError(err);
    }
  }

  function sync(): Promise<SyncResult> {
    if (git === undefined) {
      return Promise.reject(new AppError('not_found', 'no repository is configured: set ONSET_GIT_REPO'));
    }
    if (stopped) return Promise.reject(new AppError('service.unavailable', 'the server is stopping'));
    if (running === undefined) {
      running = runSync(git).finally(() => {
        running = undefined;
      });
      return running;
    }
    // Whoever asks during a sync gets the next one: their push may have come after this fetch began.
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return sync();
      });
    return queued;
  }

  function requestSync(reason: string): void {
    logger.debug({ reason }, 'sync requested');
    sync().catch(() => undefined);
  }

  function schedule(delayMs: number): void {
    if (stopped || git === undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      sync()
        .catch(() => undefined)
        .finally(() => schedule(config.git.intervalMs));
    }, delayMs);
    timer.unref();
  }

  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = reachLock.then(task, task);
    reachLock = run.catch(() => undefined);
    return run;
  };

  function remember(key: string, sha: string, reach: Reach): void {
    if (memo.size >= memoLimit) memo.delete(memo.keys().next().value as string);
    memo.set(`${key}\0${sha}`, reach);
  }

  function saltCacheFor(key: string): SaltReachCache {
    let cache = saltCaches.get(key);
    if (cache === undefined) {
      if (saltCaches.size >= 2) saltCaches.delete(saltCaches.keys().next().value as string);
      cache = createSaltReachCache();
      saltCaches.set(key, cache);
    }
    return cache;
  }

  async function hostSetOf(key: string): Promise<Map<string, string> | undefined> {
    let set = hostSets.get(key);
    if (set === undefined) {
      const stored = await repo.readHostSet(db, key);
      if (stored === undefined) return undefined;
      set = new Map(stored.map(([id, labels]) => [id, labelsKey(labels)]));
      if (hostSets.size >= 4) hostSets.delete(hostSets.keys().next().value as string);
      hostSets.set(key, set);
    }
    return set;
  }

  function unreadable(commit: ChangeCommit, hosts: readonly SaltHost[], err: unknown): Reach {
    // Unreadable trees: the widest sound answer, said as such.
    logger.warn(
      { sha: commit.sha, error: redactUrls((err as Error).message) },
      'could not read a commit tree',
    );
    return {
      hosts: new Set(hosts.map((h) => h.id)),
      approximate: true,
      reasons: [`the repository could not be read at ${commit.sha.slice(0, 12)}: taken to reach every host`],
    };
  }

  /**
   * Computes and stores the reach of commits over one host set: one tree walk per run of neighbouring
   * commits on the branch, whatever its length.
   */
  async function computeReaches(
    commits: readonly ChangeCommit[],
    hosts: readonly SaltHost[],
    key: string,
  ): Promise<Map<string, Reach>> {
    const out = new Map<string, Reach>();
    if (git === undefined || commits.length === 0) return out;
    const oldestFirst = [...commits].sort((a, b) => a.position - b.position);
    const runs: ChangeCommit[][] = [];
    for (const commit of oldestFirst) {
      const run = runs.at(-1);
      const last = run?.at(-1);
      if (run !== undefined && last !== undefined && commit.position - last.position <= walkGap)
        run.push(commit);
      else runs.push([commit]);
    }
    const cache = saltCacheFor(key);
    const rows: Parameters<typeof repo.storeReach>[2][number][] = [];
    for (const run of runs) {
      const first = run[0] as ChangeCommit;
      const last = run.at(-1) as ChangeCommit;
      const wanted = new Map(run.map((c) => [c.sha, c]));
      let walk;
      try {
        walk = await git.walkTrees(
          { since: first.parents[0] ?? null, until: last.sha },
          { wanted: (path) => TEMPLATE_EXTENSIONS.test(path) },
        );
      } catch (err) {
        for (const commit of run) out.set(commit.sha, unreadable(commit, hosts, err));
        continue;
      }
      for (const step of walk) {
        const commit = wanted.get(step.sha);
        if (commit === undefined) continue;
        const reach = createSaltReach({
          snapshot: step.snapshot,
          ...(step.previous === undefined ? {} : { previous: step.previous }),
          hosts,
          ...(nodegroups === undefined ? {} : { nodegroups }),
          cache,
        }).reachOfChange(changedPaths(commit));
        out.set(commit.sha, reach);
        remember(key, commit.sha, reach);
        const all = hosts.length > 0 && reach.hosts.size === hosts.length;
        rows.push({
          sha: commit.sha,
          allHosts: all,
          hosts: all ? [] : [...reach.hosts].sort(),
          approximate: reach.approximate,
          reasons: reach.reasons,
        });
      }
      for (const commit of run) {
        if (!out.has(commit.sha))
          out.set(commit.sha, unreadable(commit, hosts, new Error('not on the branch')));
      }
    }
    const entries = hosts.map((h) => [h.id, { ...h.labels }] as [string, Record<string, string>]);
    await repo.storeReach(db, { key, hosts: entries }, rows);
    hostSets.set(key, new Map(hosts.map((h) => [h.id, labelsKey(h.labels)])));
    return out;
  }

  /**
   * Each commit's reach over the given hosts: remembered, stored (narrowed when the hosts are among those
   * it was computed for, with the same labels), or computed afresh over the fleet and these hosts.
   */
  async function reachOf(
    commits: readonly ChangeCommit[],
    hosts: readonly SaltHost[],
  ): Promise<Map<string, Reach>> {
    const key = hostsKey(hosts, nodegroups);
    const ids = new Set(hosts.map((h) => h.id));
    const out = new Map<string, Reach>();
    const unknown: ChangeCommit[] = [];
    for (const commit of commits) {
      const known = memo.get(`${key}\0${commit.sha}`);
      if (known !== undefined) out.set(commit.sha, known);
      else unknown.push(commit);
    }
    if (unknown.length === 0) return out;
    const missing: ChangeCommit[] = [];
    const stored = new Map(
      (
        await repo.readReach(
          db,
          unknown.map((c) => c.sha),
        )
      ).map((r) => [r.sha, r]),
    );
    for (const commit of unknown) {
      const row = stored.get(commit.sha);
      const set = row === undefined ? undefined : await hostSetOf(row.hostSet);
      if (
        row === undefined ||
        set === undefined ||
        !hosts.every((h) => set.get(h.id) === labelsKey(h.labels))
      ) {
        missing.push(commit);
        continue;
      }
      const full: Reach = {
        hosts: new Set(row.allHosts ? set.keys() : row.hosts),
        approximate: row.approximate,
        reasons: row.reasons,
      };
      const reach = row.hostSet === key ? full : narrowed(full, ids);
      remember(key, commit.sha, reach);
      out.set(commit.sha, reach);
    }
    if (missing.length === 0) return out;
    // Over the fleet as well, so that the next analysis of other hosts finds it stored.
    const fleet = new Map((await repo.listHostLabels(db)).map((h) => [h.id, h] as [string, SaltHost]));
    for (const h of hosts) fleet.set(h.id, h);
    const over = [...fleet.values()];
    const overKey = hostsKey(over, nodegroups);
    const computed = await exclusive(() => computeReaches(missing, over, overKey));
    for (const [sha, reach] of computed) {
      const own = overKey === key ? reach : narrowed(reach, ids);
      remember(key, sha, own);
      out.set(sha, own);
    }
    return out;
  }

  /** Newest first, a chunk at a time, the commits of the last 30 days that have no stored reach. */
  async function precomputeReach(): Promise<void> {
    while (!stopped && git !== undefined) {
      const latest = await repo.latestLanded(db);
      if (latest === undefined) return;
      const batch = await repo.listCommitsWithoutReach(db, latest - precomputeWindowMs, precomputeChunk);
      if (batch.length === 0) return;
      const fleet = await repo.listHostLabels(db);
      const stored = await exclusive(async () => {
        const still = new Set(
          (
            await repo.readReach(
              db,
              batch.map((c) => c.sha),
            )
          ).map((r) => r.sha),
        );
        const todo = batch.filter((c) => !still.has(c.sha));
        const done = await computeReaches(todo, fleet, hostsKey(fleet, nodegroups));
        return todo.length === 0 || done.size > 0;
      });
      if (!stored) return;
    }
  }

  function requestPrecompute(): void {
    if (precomputing !== undefined) {
      precomputeAgain = true;
      return;
    }
    precomputing = (async () => {
      do {
        precomputeAgain = false;
        const started = Date.now();
        try {
          await precomputeReach();
          logger.debug({ ms: Date.now() - started }, 'reach computed ahead');
        } catch (err) {
          if (!stopped)
            logger.warn({ error: redactUrls((err as Error).message) }, 'could not compute reach ahead');
        }
      } while (precomputeAgain && !stopped);
    })().finally(() => {
      precomputing = undefined;
    });
  }

  function eventReach(event: ChangeEvent, hosts: readonly SaltHost[]): Reach {
    const known = new Set(hosts.map((h) => h.id));
    if (event.targetExpression !== null) {
      const expression = event.targetExpression;
      const reached = new Set<string>();
      let undecided = 0;
      for (const host of hosts) {
        const match = matchTarget(
          expression,
          'compound',
          minionFromLabels(host.id, host.labels),
          nodegroups === undefined ? {} : { nodegroups },
        );
        if (match === false) continue;
        reached.add(host.id);
        if (match === 'maybe') undecided++;
      }
      const reasons = [`targets '${expression}': ${reached.size} of ${plural(hosts.length, 'host')}`];
      if (undecided > 0)
        reasons.push(`${plural(undecided, 'host')} may or may not match (pillar or unknown nodegroups)`);
      return { hosts: reached, approximate: undecided > 0, reasons };
    }
    if (event.hosts.length > 0) {
      const reached = new Set(event.hosts.map((h) => h.host).filter((h) => known.has(h)));
      const timed = event.hosts.some((h) => h.appliedAt !== null);
      const by = event.source === null ? '' : ` by ${event.source}`;
      const reasons = [
        `${timed ? 'applied on' : 'names'} ${plural(event.hosts.length, 'host')}${by}; ${reached.size} of them are in the analysis`,
      ];
      return { hosts: reached, approximate: false, reasons };
    }
    return {
      hosts: known,
      approximate: true,
      reasons: [`names no hosts: taken to reach every host (${plural(known.size, 'host')})`],
    };
  }

  function candidateOfCommit(commit: ChangeCommit, reach: Reach): CandidateChange {
    const revertOf = revertedSha(commit.body);
    return {
      id: commit.sha,
      kind: 'commit',
      landedAt: commit.landedAt,
      subject: commit.subject,
      author: commit.author,
      files: commit.files.map((f) => ({ path: f.path, additions: f.additions, deletions: f.deletions })),
      reach,
      ...(revertOf === undefined ? {} : { revertOf }),
    };
  }

  function candidateOfEvent(event: ChangeEvent, hosts: readonly SaltHost[]): CandidateChange {
    const appliedAt = new Map<string, number>();
    for (const h of event.hosts) if (h.appliedAt !== null) appliedAt.set(h.host, h.appliedAt);
    return {
      id: event.id,
      kind: 'event',
      landedAt: event.landedAt,
      subject: event.title,
      ...(event.author === null ? {} : { author: event.author }),
      reach: eventReach(event, hosts),
      ...(appliedAt.size > 0 ? { appliedAt } : {}),
    };
  }

  return {
    enabled: git !== undefined,
    start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const inFlight = Promise.all([running, precomputing]);
      if (running !== undefined || precomputing !== undefined) {
        // A fetch may take minutes; shutdown does not wait for it past a few seconds.
        let wait: NodeJS.Timeout | undefined;
        await Promise.race([
          inFlight.catch(() => undefined),
          new Promise<void>((resolve) => {
            wait = setTimeout(resolve, stopWaitMs);
          }),
        ]);
        clearTimeout(wait);
      }
    },
    pending() {
      return ready ? [] : ['git repository (first sync)'];
    },
    sync,
    requestSync,
    state: () => repo.readSyncState(db),

    async recordEvent(input) {
      const applied = input.hosts?.flatMap((h) => (h.appliedAt === undefined ? [] : [h.appliedAt])) ?? [];
      const event: repo.NewEvent = {
        id: input.id ?? `evt_${randomBytes(10).toString('hex')}`,
        kind: input.kind,
        title: input.title,
        description: input.description ?? null,
        source: input.source ?? null,
        author: input.author ?? null,
        // Without a time of its own, an event landed when its first host applied it, or now.
        landedAt: input.landedAt ?? (applied.length > 0 ? Math.min(...applied) : Date.now()),
        targetExpression: input.targetExpression ?? null,
        hosts: (input.hosts ?? []).map((h) => ({ host: h.host, appliedAt: h.appliedAt ?? null })),
      };
      const created = await db.transaction().execute((trx) => repo.insertEvent(trx, event));
      const stored = await repo.findEvent(db, event.id);
      if (!stored) throw new AppError('internal', 'the event was not stored');
      return { event: stored, created };
    },

    async list(window) {
      const [commits, events] = await Promise.all([
        repo.listCommitsLanded(db, window, window.limit + 1),
        repo.listEventsLanded(db, window, window.limit + 1),
      ]);
      return {
        commits: commits.slice(0, window.limit),
        events: events.slice(0, window.limit),
        truncated: commits.length > window.limit || events.length > window.limit,
      };
    },

    async detail(id) {
      const hosts = await repo.listHostLabels(db);
      if (/^[0-9a-f]{4,64}$/i.test(id)) {
        const found = await repo.findCommits(db, id.toLowerCase());
        if (found.length > 1) {
          throw new AppError('request.invalid', `'${id}' names more than one commit: give more of the sha`, [
            { path: 'id', message: 'is ambiguous' },
          ]);
        }
        const commit = found[0];
        if (commit !== undefined) {
          if (git === undefined)
            throw new AppError('not_found', 'no repository is configured: set ONSET_GIT_REPO');
          let patch: GitPatch;
          try {
            patch = await git.showCommit(commit.sha, { maxBytes: patchBytes });
          } catch (err) {
            throw isGitError(err, 'git.not_found')
              ? new AppError(
                  'service.unavailable',
                  'the repository mirror is not ready; retry after the next sync',
                  [],
                  60,
                )
              : asAppError(err);
          }
          const reach = (await reachOf([commit], hosts)).get(commit.sha) as Reach;
          return { kind: 'commit', commit, patch, reach, hostsTotal: hosts.length };
        }
      }
      const event = await repo.findEvent(db, id);
      if (event === undefined) throw new AppError('not_found', `no commit or event '${id}'`);
      return { kind: 'event', event, reach: eventReach(event, hosts), hostsTotal: hosts.length };
    },

    async candidates({ from, to, hosts }) {
      const window = { from, to };
      const limit = 100_000;
      const [commits, events] = await Promise.all([
        git === undefined ? Promise.resolve([]) : repo.listCommitsLanded(db, window, limit),
        repo.listEventsLanded(db, window, limit),
      ]);
      const reaches = await reachOf(commits, hosts);
      const out: CandidateChange[] = [];
      for (const commit of [...commits].reverse()) {
        out.push(candidateOfCommit(commit, reaches.get(commit.sha) as Reach));
      }
      for (const event of events) out.push(candidateOfEvent(event, hosts));
      // Stable: commits landing together keep their order on the branch.
      return out.sort((a, b) => a.landedAt - b.landedAt);
    },

    precomputed: () => precomputing ?? Promise.resolve(),
  };
}
