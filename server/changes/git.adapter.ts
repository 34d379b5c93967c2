import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { GitError, isGitError } from './git.errors.ts';
import { createGitRunner, hardenedEnv, hardeningConfig, type GitRunner } from './git.exec.ts';
import {
  logFormatArgs,
  mergedCommitsByMerge,
  parseLog,
  parseRevListParents,
  type GitFileChange,
} from './git.log-parse.ts';
import { parseBranchName, parseGitSource, type GitSource } from './git.source.ts';
import { walkSnapshots, type CommitSnapshots } from './git.snapshots.ts';
import { BlobCache, loadTree, type TreeSnapshot } from './git.tree.ts';

export type { GitFileChange } from './git.log-parse.ts';
export type { CommitSnapshots } from './git.snapshots.ts';
export type { GitSource } from './git.source.ts';
export type { TreeSnapshot } from './git.tree.ts';

export interface GitAdapterOptions {
  /** A local path, an https URL or an ssh address (`ssh://…`, `user@host:path`). */
  source: string;
  /** The deployed branch; the source's default branch (its HEAD) when absent. */
  branch?: string;
  /** Where the bare mirror lives, e.g. `<ONSET_DATA_DIR>/repo.git`. */
  cacheDir: string;
  /** Limit for each git command (a fetch included); the process group is killed after it. Default 120 s. */
  timeoutMs?: number;
  /** Largest mirror on disk; a fetch that grows it further is stopped and the mirror removed. Default 2 GiB. */
  maxBytes?: number;
  /** Accept http:// sources (plain text; off unless a deployment really has no TLS). */
  allowHttp?: boolean;
  /** The environment to take PATH, HOME, SSH_AUTH_SOCK and proxy settings from. Default process.env. */
  env?: Record<string, string | undefined>;
}

export interface GitSyncResult {
  branch: string;
  head: string;
  previousHead: string | null;
  /** History was rewritten: the previous head is no longer an ancestor of the new one. */
  forced: boolean;
}

export interface GitCommit {
  sha: string;
  parents: string[];
  author: string;
  authorEmail: string;
  authoredAt: DateTime;
  committedAt: DateTime;
  /**
   * When the commit reached the branch: its committer date, but never before its first parent landed
   * (clock skew, or a branch fast-forwarded in). A merge lands all of its branch's commits at this time.
   */
  landedAt: DateTime;
  subject: string;
  body: string;
  /** Against the first parent (for a merge: everything the merge brought in). */
  files: GitFileChange[];
  merge: boolean;
  /** For a merge: the commits it brought onto the branch, oldest first. */
  mergedCommits?: string[];
}

export interface GitCommitListing {
  head: string;
  /** First-parent history, oldest first: after `since` when given and still on the branch, else all of it. */
  commits: GitCommit[];
  /** `since` was given but is no longer on the branch's first-parent history (a force-push). */
  rewritten: boolean;
}

export interface GitPatch {
  sha: string;
  patch: string;
  truncated: boolean;
}

export interface GitAdapter {
  readonly source: GitSource;
  sync(): Promise<GitSyncResult>;
  defaultBranch(): Promise<string>;
  listCommits(options?: { since?: string }): Promise<GitCommitListing>;
  showCommit(sha: string, options?: { maxBytes?: number }): Promise<GitPatch>;
  readTree(sha: string): Promise<TreeSnapshot>;
  /**
   * The trees of the first-parent commits after `since` (exclusive; null: from the root) up to `until`,
   * oldest first, with a handful of git processes for the whole range. Only `wanted` files, symlinks and
   * the files each commit changes are read; other files are listed and read as undefined.
   */
  walkTrees(
    range: { since: string | null; until: string },
    options: { wanted: (path: string) => boolean },
  ): Promise<CommitSnapshots[]>;
}

const defaults = {
  timeoutMs: 120_000,
  maxBytes: 2 * 1024 ** 3,
  maxOutputBytes: 256 * 1024 ** 2,
  patchBytes: 256 * 1024,
  maxFileBytes: 1024 ** 2,
  blobCacheBytes: 64 * 1024 ** 2,
  trees: 16,
  sizePollMs: 200,
};

const hexRevision = /^[0-9a-f]{4,64}$/i;

function checkRevision(sha: string): string {
  if (!hexRevision.test(sha))
    throw new GitError('git.invalid_revision', `not a commit id: ${JSON.stringify(sha)}`);
  return sha.toLowerCase();
}

/** Bytes under a directory (files only). */
async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else if (entry.isFile())
      total += await stat(path).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

/**
 * After git was killed: its lock files would make the next fetch fail, and half-written packs take space.
 * No ref name ends in `.lock`, so only git's own locks match.
 */
async function removeLeftovers(dir: string, inPackDir = false): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await removeLeftovers(path, path.endsWith(join('objects', 'pack')));
    else if (entry.name.endsWith('.lock') || (inPackDir && entry.name.startsWith('tmp_'))) {
      await rm(path, { force: true });
    }
  }
}

export function createGitAdapter(options: GitAdapterOptions): GitAdapter {
  const allowHttp = options.allowHttp ?? false;
  // Both checked here, before any git runs: a bad setting fails at startup.
  const source = parseGitSource(options.source, { allowHttp });
  const configuredBranch = options.branch === undefined ? undefined : parseBranchName(options.branch);
  const mirror = resolve(options.cacheDir);
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const maxBytes = options.maxBytes ?? defaults.maxBytes;
  const env = hardenedEnv(options.env ?? process.env, { allowHttp });
  // Always our own bare mirror by explicit --git-dir: no working tree to check out, no repository discovery.
  const git: GitRunner = createGitRunner({
    gitDir: mirror,
    cwd: mirror,
    env,
    config: hardeningConfig({ allowHttp }),
    defaultTimeoutMs: timeoutMs,
    defaultMaxOutputBytes: defaults.maxOutputBytes,
  });
  const blobs = new BlobCache(defaults.blobCacheBytes);
  const trees = new Map<string, Promise<TreeSnapshot>>();
  let queue: Promise<unknown> = Promise.resolve();
  let resolvedBranch = configuredBranch;
  let defaultResolved: string | undefined;

  /** One sync at a time: the periodic one, a webhook and an API call may all ask at once. */
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  async function ensureMirror(): Promise<void> {
    if (existsSync(join(mirror, 'HEAD'))) return;
    await mkdir(dirname(mirror), { recursive: true });
    // An empty template: no sample hooks, nothing copied from the system's template directory.
    const init = createGitRunner({
      cwd: dirname(mirror),
      env,
      config: hardeningConfig({ allowHttp }),
      defaultTimeoutMs: timeoutMs,
      defaultMaxOutputBytes: defaults.maxOutputBytes,
    });
    await init.run(['init', '--quiet', '--bare', '--template=', mirror]);
  }

  async function revParse(revision: string): Promise<string | null> {
    const result = await git.run(['rev-parse', '--verify', '--quiet', '--end-of-options', revision], {
      okExitCodes: [1],
    });
    const sha = result.stdout.toString('utf8').trim();
    return result.exitCode === 0 && sha ? sha : null;
  }

  async function isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const result = await git.run(['merge-base', '--is-ancestor', ancestor, descendant], { okExitCodes: [1] });
    return result.exitCode === 0;
  }

  async function resolveCommit(sha: string): Promise<string> {
    requireMirror();
    const full = await revParse(`${checkRevision(sha)}^{commit}`);
    if (!full) throw new GitError('git.not_found', `no commit ${sha} in the mirror`);
    return full;
  }

  function requireMirror(): void {
    if (!existsSync(join(mirror, 'HEAD'))) {
      throw new GitError('git.not_found', 'the repository has not been synced yet');
    }
  }

  async function mirrorBranch(): Promise<string> {
    requireMirror();
    if (resolvedBranch) return resolvedBranch;
    // Remembered in the mirror's HEAD by sync, so a restart lists without asking the remote again.
    const result = await git.run(['symbolic-ref', '--quiet', 'HEAD'], { okExitCodes: [1] });
    const ref = result.stdout.toString('utf8').trim();
    if (result.exitCode === 0 && ref.startsWith('refs/heads/') && (await revParse(ref))) {
      resolvedBranch = parseBranchName(ref);
      return resolvedBranch;
    }
    throw new GitError('git.not_found', 'the repository has not been synced yet');
  }

  async function defaultBranch(): Promise<string> {
    await ensureMirror();
    const result = await git.run(['ls-remote', '--symref', '--end-of-options', source.location, 'HEAD']);
    const match = /^ref: (refs\/heads\/\S+)\tHEAD$/m.exec(result.stdout.toString('utf8'));
    if (!match?.[1]) throw new GitError('git.not_found', `${source.display} names no default branch`);
    return parseBranchName(match[1]);
  }

  async function fetchBranch(ref: string): Promise<void> {
    // Baseline once; during the fetch only the pack directory grows (transfer.unpackLimit=1).
    const packDir = join(mirror, 'objects', 'pack');
    const baseline = (await directoryBytes(mirror)) - (await directoryBytes(packDir));
    const watch = (stop: (error: GitError) => void) => {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        void directoryBytes(packDir).then((bytes) => {
          busy = false;
          if (baseline + bytes > maxBytes) {
            stop(new GitError('git.too_large', `the repository mirror grew past ${maxBytes} bytes`));
          }
        });
      }, defaults.sizePollMs);
      return () => clearInterval(timer);
    };
    try {
      await git.run(
        [
          'fetch',
          '--quiet',
          '--no-tags',
          '--no-recurse-submodules',
          '--no-write-fetch-head',
          '--force',
          '--end-of-options',
          source.location,
          `+${ref}:${ref}`,
        ],
        { watch },
      );
    } catch (error) {
      await removeLeftovers(mirror);
      if (isGitError(error, 'git.too_large')) await rm(mirror, { recursive: true, force: true });
      if (isGitError(error, 'git.failed') && /couldn't find remote ref/i.test(error.message)) {
        throw new GitError('git.not_found', `${source.display} has no ${ref}`, { cause: error });
      }
      throw error;
    }
    if ((await directoryBytes(mirror)) > maxBytes) {
      await rm(mirror, { recursive: true, force: true });
      throw new GitError('git.too_large', `the repository mirror grew past ${maxBytes} bytes`);
    }
  }

  function sync(): Promise<GitSyncResult> {
    return serialized(async () => {
      await ensureMirror();
      // The remote's default is asked once per process; a later change of it needs a restart.
      const branch = configuredBranch ?? defaultResolved ?? (await defaultBranch());
      defaultResolved = branch;
      const ref = `refs/heads/${branch}`;
      const previousHead = await revParse(ref);
      await fetchBranch(ref);
      const head = await revParse(ref);
      if (!head) throw new GitError('git.not_found', `${source.display} has no ${ref}`);
      await git.run(['symbolic-ref', 'HEAD', ref]);
      resolvedBranch = branch;
      const forced =
        previousHead !== null && previousHead !== head && !(await isAncestor(previousHead, head));
      return { branch, head, previousHead, forced };
    });
  }

  async function readCommits(head: string, since: string | null): Promise<GitCommit[]> {
    const range = since ? [head, `^${since}`] : [head];
    const [log, revList, base] = await Promise.all([
      git.run(['log', '--first-parent', ...logFormatArgs, '--end-of-options', ...range]),
      git.run(['rev-list', '--parents', '--topo-order', '--end-of-options', ...range]),
      since ? git.run(['show', '-s', '--format=%ct', '--end-of-options', since]) : null,
    ]);
    const parsed = parseLog(log.stdout).reverse();
    const { graph, order } = parseRevListParents(revList.stdout.toString('utf8'));
    const merged = mergedCommitsByMerge(
      parsed.map((c) => c.sha),
      graph,
      order,
    );
    let landedMs = base ? Number(base.stdout.toString('utf8').trim()) * 1000 : -Infinity;
    return parsed.map((commit) => {
      landedMs = Math.max(landedMs, commit.committedAtMs);
      const mergedCommits = merged.get(commit.sha);
      return {
        sha: commit.sha,
        parents: commit.parents,
        author: commit.author,
        authorEmail: commit.authorEmail,
        authoredAt: DateTime.fromMillis(commit.authoredAtMs, { zone: 'utc' }),
        committedAt: DateTime.fromMillis(commit.committedAtMs, { zone: 'utc' }),
        landedAt: DateTime.fromMillis(landedMs, { zone: 'utc' }),
        subject: commit.subject,
        body: commit.body,
        files: commit.files,
        merge: commit.parents.length > 1,
        ...(mergedCommits ? { mergedCommits } : {}),
      };
    });
  }

  async function listCommits(listOptions: { since?: string } = {}): Promise<GitCommitListing> {
    const ref = `refs/heads/${await mirrorBranch()}`;
    const head = await revParse(ref);
    if (!head) throw new GitError('git.not_found', `${ref} is not in the mirror; sync first`);
    if (listOptions.since !== undefined) {
      const since = await revParse(`${checkRevision(listOptions.since)}^{commit}`);
      if (since) {
        const commits = await readCommits(head, since);
        // `since` is still on the chain only if the oldest new commit sits right on it.
        const onChain = commits.length === 0 ? head === since : commits[0]?.parents[0] === since;
        if (onChain) return { head, commits, rewritten: false };
      }
      return { head, commits: await readCommits(head, null), rewritten: true };
    }
    return { head, commits: await readCommits(head, null), rewritten: false };
  }

  async function showCommit(sha: string, showOptions: { maxBytes?: number } = {}): Promise<GitPatch> {
    const full = await resolveCommit(sha);
    const maxBytes = showOptions.maxBytes ?? defaults.patchBytes;
    const result = await git.run(
      [
        'show',
        '--format=',
        '--patch',
        '-M',
        '--diff-merges=first-parent',
        '--no-ext-diff',
        '--no-textconv',
        '--no-color',
        '--end-of-options',
        full,
      ],
      { maxOutputBytes: maxBytes + 1, truncate: true },
    );
    let out = result.stdout;
    const truncated = result.truncated || out.length > maxBytes;
    if (truncated) {
      // Cut at a line end: never inside a multi-byte character or a half line.
      const cut = out.lastIndexOf(0x0a, maxBytes - 1);
      out = out.subarray(0, cut < 0 ? 0 : cut + 1);
    }
    return { sha: full, patch: out.toString('utf8').replace(/^\n/, ''), truncated };
  }

  function readTree(sha: string): Promise<TreeSnapshot> {
    return resolveCommit(sha).then((full) => {
      const cached = trees.get(full);
      if (cached) {
        trees.delete(full);
        trees.set(full, cached);
        return cached;
      }
      const loading = loadTree(git, full, blobs, { maxFileBytes: defaults.maxFileBytes, timeoutMs });
      trees.set(full, loading);
      loading.catch(() => trees.delete(full));
      for (const key of trees.keys()) {
        if (trees.size <= defaults.trees) break;
        trees.delete(key);
      }
      return loading;
    });
  }

  async function walkTrees(
    range: { since: string | null; until: string },
    walkOptions: { wanted: (path: string) => boolean },
  ): Promise<CommitSnapshots[]> {
    const until = await resolveCommit(range.until);
    const since = range.since === null ? null : await resolveCommit(range.since);
    return walkSnapshots(
      git,
      { since, until },
      {
        cache: blobs,
        wanted: walkOptions.wanted,
        limits: { maxFileBytes: defaults.maxFileBytes, timeoutMs, maxOutputBytes: defaults.maxOutputBytes },
      },
    );
  }

  return { source, sync, defaultBranch, listCommits, showCommit, readTree, walkTrees };
}
