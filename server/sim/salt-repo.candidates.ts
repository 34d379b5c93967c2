/**
 * The ranking's candidates from a simulated Salt repository, through the production pipeline: the git
 * adapter's first-parent listing with landed-at times and trees, and the Salt reach of each commit.
 */
import { readFile } from 'node:fs/promises';
import type { CandidateChange } from '../changes/ranking.ts';
import { createGitAdapter, type GitCommit } from '../changes/git.adapter.ts';
import { parseNodegroups } from '../changes/salt/nodegroups.ts';
import { createSaltReach, createSaltReachCache, type SaltHost } from '../changes/salt/reach.ts';

export interface RepositoryCandidatesInput {
  /** The repository: a local path. */
  source: string;
  branch: string;
  /** Where the adapter keeps its mirror. */
  cacheDir: string;
  nodegroupsPath?: string;
  hosts: readonly SaltHost[];
  /** Only commits that landed in this window get a reach (the others cannot matter to one onset). */
  landedFrom?: number;
  landedTo?: number;
}

export async function repositoryCandidates(
  input: RepositoryCandidatesInput,
): Promise<{ candidates: CandidateChange[]; commits: GitCommit[] }> {
  const git = createGitAdapter({ source: input.source, branch: input.branch, cacheDir: input.cacheDir });
  await git.sync();
  const { commits } = await git.listCommits();
  const nodegroups =
    input.nodegroupsPath === undefined
      ? undefined
      : parseNodegroups(await readFile(input.nodegroupsPath, 'utf8'));
  const cache = createSaltReachCache();
  const candidates: CandidateChange[] = [];
  const wanted = commits.filter((c) => {
    const landedAt = c.landedAt.toMillis();
    return landedAt >= (input.landedFrom ?? -Infinity) && landedAt <= (input.landedTo ?? Infinity);
  });
  // Trees load a few at a time, in parallel: each is a git process or two. The adapter keeps 16.
  const chunk = 6;
  for (let i = 0; i < wanted.length; i += chunk) {
    const batch = wanted.slice(i, i + chunk);
    const shas = new Set(batch.flatMap((c) => [c.sha, ...c.parents.slice(0, 1)]));
    await Promise.all([...shas].map((sha) => git.readTree(sha)));
    for (const commit of batch) candidates.push(await candidateOf(commit));
  }
  return { candidates, commits };

  async function candidateOf(commit: GitCommit): Promise<CandidateChange> {
    const landedAt = commit.landedAt.toMillis();
    const snapshot = await git.readTree(commit.sha);
    const parent = commit.parents[0];
    const previous = parent === undefined ? undefined : await git.readTree(parent);
    const paths = commit.files.flatMap((f) =>
      f.oldPath !== undefined && f.oldPath !== f.path ? [f.oldPath, f.path] : [f.path],
    );
    const reach = createSaltReach({
      snapshot,
      ...(previous === undefined ? {} : { previous }),
      hosts: input.hosts,
      ...(nodegroups === undefined ? {} : { nodegroups }),
      cache,
    }).reachOfChange(paths);
    // git's own revert message names the reverted commit.
    const revertOf = /This reverts commit ([0-9a-f]{7,64})/i.exec(commit.body)?.[1]?.toLowerCase();
    return {
      id: commit.sha,
      kind: 'commit',
      landedAt,
      subject: commit.subject,
      author: commit.author,
      files: commit.files.map((f) => ({ path: f.path, additions: f.additions, deletions: f.deletions })),
      reach,
      ...(revertOf === undefined ? {} : { revertOf }),
    };
  }
}
