import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGitAdapter, type GitCommit } from '../../server/changes/git.adapter.ts';
import { isGitError } from '../../server/changes/git.errors.ts';
import { alice, bob, carol, epoch, FixtureRepo, makeScratch } from './git-fixture.ts';

const scratch = makeScratch('git-adapter');
afterAll(() => scratch.cleanup());

function newRepo(branch = 'main'): FixtureRepo {
  return FixtureRepo.init(scratch.dir('source'), scratch.root, branch);
}

function adapterFor(repo: FixtureRepo, options: { branch?: string } = {}) {
  return createGitAdapter({ source: repo.path, cacheDir: join(scratch.dir('data'), 'repo.git'), ...options });
}

const bySubject = (commits: GitCommit[], subject: string): GitCommit => {
  const found = commits.find((c) => c.subject === subject);
  if (!found) throw new Error(`no commit "${subject}"`);
  return found;
};

describe('git adapter: listing the deployed branch', () => {
  it('lists first-parent history oldest first; merged commits land at merge time', async () => {
    const repo = newRepo();
    repo.commit({
      message: 'top: web role',
      files: { 'salt/top.sls': "base:\n  'web*':\n    - nginx\n" },
      author: alice,
      at: '2017-06-01T09:00:00Z',
    });
    repo.commit({
      message: 'nginx: worker count\n\nFour workers per box.\n',
      files: { 'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n' },
      author: bob,
      at: '2017-06-02T09:00:00Z',
    });
    // A branch written days before it is merged.
    repo.git(['checkout', '--quiet', '-b', 'feature']);
    const early = repo.commit({
      message: 'grains: fleet api',
      files: { 'salt/_grains/fleet_api.py': 'def main():\n    return {}\n' },
      author: carol,
      at: '2017-06-03T09:00:00Z',
    });
    const later = repo.commit({
      message: 'grains: talk https',
      files: { 'salt/_grains/fleet_api.py': 'def main():\n    return {"https": True}\n' },
      author: carol,
      at: '2017-06-04T09:00:00Z',
    });
    repo.git(['checkout', '--quiet', 'main']);
    repo.commit({
      message: 'docs',
      files: { 'README.md': 'hello\n' },
      author: alice,
      at: '2017-06-05T09:00:00Z',
    });
    const merge = repo.merge({
      branch: 'feature',
      message: 'Merge feature',
      at: '2017-06-26T06:49:00Z',
      author: bob,
    });

    const adapter = adapterFor(repo);
    const sync = await adapter.sync();
    expect(sync).toEqual({ branch: 'main', head: merge, previousHead: null, forced: false });

    const { commits, head, rewritten } = await adapter.listCommits();
    expect(head).toBe(merge);
    expect(rewritten).toBe(false);
    expect(commits.map((c) => c.subject)).toEqual([
      'top: web role',
      'nginx: worker count',
      'docs',
      'Merge feature',
    ]);

    const nginx = bySubject(commits, 'nginx: worker count');
    expect(nginx.author).toBe(bob.name);
    expect(nginx.authorEmail).toBe(bob.email);
    expect(nginx.body).toBe('Four workers per box.');
    expect(nginx.authoredAt.toMillis()).toBe(epoch('2017-06-02T09:00:00Z'));
    expect(nginx.landedAt.toMillis()).toBe(epoch('2017-06-02T09:00:00Z'));
    expect(nginx.authoredAt.zoneName).toBe('UTC');
    expect(nginx.merge).toBe(false);
    expect(nginx.mergedCommits).toBeUndefined();
    expect(nginx.files).toEqual([{ path: 'salt/nginx/init.sls', status: 'A', additions: 2, deletions: 0 }]);

    const mergeCommit = bySubject(commits, 'Merge feature');
    expect(mergeCommit.merge).toBe(true);
    expect(mergeCommit.parents).toHaveLength(2);
    expect(mergeCommit.landedAt.toMillis()).toBe(epoch('2017-06-26T06:49:00Z'));
    expect(mergeCommit.mergedCommits).toEqual([early, later]);
    // Against the first parent: what the merge brought onto the branch, not a combined diff.
    expect(mergeCommit.files).toEqual([
      { path: 'salt/_grains/fleet_api.py', status: 'A', additions: 2, deletions: 0 },
    ]);
  });

  it('keeps odd file names intact and reports renames, deletions and binary files', async () => {
    const repo = newRepo();
    repo.commit({
      message: 'odd names',
      files: {
        'with space.sls': 'a: 1\n',
        'line\nbreak.sls': 'b: 2\n',
        'tab\there.sls': 'c: 3\n',
        'ünïcode/états.sls': 'd: 4\n',
        '"quoted".sls': 'e: 5\n',
        'gone.sls': 'f: 6\n',
      },
      at: '2017-06-01T00:00:00Z',
    });
    repo.commit({
      message: 'rename, delete, binary',
      files: {
        'gone.sls': null,
        'blob.bin': Buffer.from([0, 1, 2, 3, 0, 255]),
        'with space.sls': null,
        'moved/with space.sls': 'a: 1\n',
      },
      at: '2017-06-02T00:00:00Z',
    });
    // Text that looks like the listing's own separators must not confuse it.
    repo.commit({
      message: '\u001eonset-commit',
      files: { '\u001eonset-commit': 'x\n', '1\t2\tx': 'y\n', ':100644 100644 a b M': 'z\n' },
      at: '2017-06-03T00:00:00Z',
    });
    const adapter = adapterFor(repo);
    await adapter.sync();
    const { commits } = await adapter.listCommits();
    expect(commits).toHaveLength(3);
    expect(commits[2]?.subject).toBe('\u001eonset-commit');
    expect(commits[2]?.files.map((f) => f.path).sort()).toEqual(
      ['\u001eonset-commit', '1\t2\tx', ':100644 100644 a b M'].sort(),
    );
    const [first, second] = commits;
    expect(first?.files.map((f) => f.path).sort()).toEqual(
      [
        '"quoted".sls',
        'gone.sls',
        'line\nbreak.sls',
        'tab\there.sls',
        'with space.sls',
        'ünïcode/états.sls',
      ].sort(),
    );
    expect(second?.files).toEqual(
      expect.arrayContaining([
        { path: 'blob.bin', status: 'A', additions: null, deletions: null },
        { path: 'gone.sls', status: 'D', additions: 0, deletions: 1 },
        { path: 'moved/with space.sls', oldPath: 'with space.sls', status: 'R', additions: 0, deletions: 0 },
      ]),
    );
    expect(second?.files).toHaveLength(3);
  });

  it('lists incrementally after a stored sha, and reports a force-push', async () => {
    const repo = newRepo();
    const dates = ['2017-06-01', '2017-06-02', '2017-06-03'];
    const shas = dates.map((day, i) =>
      repo.commit({ message: `change ${i}`, files: { [`f${i}.sls`]: `${i}\n` }, at: `${day}T12:00:00Z` }),
    );
    const adapter = adapterFor(repo);
    await adapter.sync();
    const stored = shas[2] as string;

    const nothingNew = await adapter.listCommits({ since: stored });
    expect(nothingNew).toEqual({ head: stored, commits: [], rewritten: false });

    const added = repo.commit({
      message: 'change 3',
      files: { 'f3.sls': '3\n' },
      at: '2017-06-04T12:00:00Z',
    });
    const sync = await adapter.sync();
    expect(sync).toEqual({ branch: 'main', head: added, previousHead: stored, forced: false });
    const incremental = await adapter.listCommits({ since: stored });
    expect(incremental.rewritten).toBe(false);
    expect(incremental.commits.map((c) => c.sha)).toEqual([added]);
    // An abbreviated sha is accepted too.
    expect((await adapter.listCommits({ since: stored.slice(0, 10) })).commits).toHaveLength(1);

    // Rewrite the last two commits and force the branch.
    repo.git(['reset', '--quiet', '--hard', shas[1] as string]);
    const rewrittenHead = repo.commit({
      message: 'rewritten',
      files: { 'r.sls': 'r\n' },
      at: '2017-06-05T12:00:00Z',
    });
    const forcedSync = await adapter.sync();
    expect(forcedSync).toEqual({ branch: 'main', head: rewrittenHead, previousHead: added, forced: true });
    const afterForce = await adapter.listCommits({ since: added });
    expect(afterForce.rewritten).toBe(true);
    expect(afterForce.commits.map((c) => c.subject)).toEqual(['change 0', 'change 1', 'rewritten']);
  });

  it('treats a stored sha that is only reachable through a merged branch as rewritten', async () => {
    const repo = newRepo();
    repo.commit({ message: 'base', files: { 'a.sls': 'a\n' }, at: '2017-06-01T00:00:00Z' });
    repo.git(['checkout', '--quiet', '-b', 'side']);
    const side = repo.commit({ message: 'side', files: { 'b.sls': 'b\n' }, at: '2017-06-02T00:00:00Z' });
    repo.git(['checkout', '--quiet', 'main']);
    repo.commit({ message: 'main', files: { 'c.sls': 'c\n' }, at: '2017-06-03T00:00:00Z' });
    repo.merge({ branch: 'side', message: 'merge side', at: '2017-06-04T00:00:00Z' });
    const adapter = adapterFor(repo);
    await adapter.sync();
    const listing = await adapter.listCommits({ since: side });
    expect(listing.rewritten).toBe(true);
    expect(listing.commits.map((c) => c.subject)).toEqual(['base', 'main', 'merge side']);
  });

  it('never lets a commit land before its first parent did', async () => {
    const repo = newRepo();
    repo.commit({ message: 'one', files: { 'a.sls': '1\n' }, at: '2017-06-10T00:00:00Z' });
    // A committer whose clock runs a day behind.
    repo.commit({ message: 'two', files: { 'a.sls': '2\n' }, at: '2017-06-09T00:00:00Z' });
    const adapter = adapterFor(repo);
    await adapter.sync();
    const { commits } = await adapter.listCommits();
    expect(commits.map((c) => c.committedAt.toISO())).toEqual([
      '2017-06-10T00:00:00.000Z',
      '2017-06-09T00:00:00.000Z',
    ]);
    expect(commits.map((c) => c.landedAt.toISO())).toEqual([
      '2017-06-10T00:00:00.000Z',
      '2017-06-10T00:00:00.000Z',
    ]);
  });

  it('follows the default branch when none is configured, and a configured one when given', async () => {
    const repo = newRepo('trunk');
    const trunk = repo.commit({ message: 'on trunk', files: { 'a.sls': 'a\n' }, at: '2017-06-01T00:00:00Z' });
    repo.git(['checkout', '--quiet', '-b', 'production']);
    const production = repo.commit({
      message: 'on production',
      files: { 'b.sls': 'b\n' },
      at: '2017-06-02T00:00:00Z',
    });
    repo.git(['checkout', '--quiet', 'trunk']);

    const followsHead = adapterFor(repo);
    expect(await followsHead.defaultBranch()).toBe('trunk');
    expect(await followsHead.sync()).toMatchObject({ branch: 'trunk', head: trunk });

    const configured = adapterFor(repo, { branch: 'refs/heads/production' });
    expect(await configured.sync()).toMatchObject({ branch: 'production', head: production });
    expect((await configured.listCommits()).head).toBe(production);

    const missing = adapterFor(repo, { branch: 'nope' });
    await expect(missing.sync()).rejects.toSatisfy((e) => isGitError(e, 'git.not_found'));
  });

  it('refuses to list before the first sync', async () => {
    const adapter = adapterFor(newRepo());
    await expect(adapter.listCommits()).rejects.toSatisfy((e) => isGitError(e, 'git.not_found'));
  });
});

describe('git adapter: patches and snapshots', () => {
  it('shows a patch against the first parent, cut at a line end when too long', async () => {
    const repo = newRepo();
    repo.commit({ message: 'base', files: { 'a.sls': 'a\n' }, at: '2017-06-01T00:00:00Z' });
    const lines = Array.from({ length: 400 }, (_, i) => `key_${i}: ${'é'.repeat(i % 7)}value\n`).join('');
    const big = repo.commit({ message: 'big', files: { 'big.sls': lines }, at: '2017-06-02T00:00:00Z' });
    repo.git(['checkout', '--quiet', '-b', 'side', 'HEAD~1']);
    repo.commit({ message: 'side', files: { 'side.sls': 'side: true\n' }, at: '2017-06-03T00:00:00Z' });
    repo.git(['checkout', '--quiet', 'main']);
    const merge = repo.merge({ branch: 'side', message: 'merge', at: '2017-06-04T00:00:00Z' });
    const adapter = adapterFor(repo);
    await adapter.sync();

    const full = await adapter.showCommit(big);
    expect(full.truncated).toBe(false);
    expect(full.patch).toContain('+key_399: ');
    expect(full.patch.startsWith('diff --git a/big.sls b/big.sls')).toBe(true);

    const cut = await adapter.showCommit(big.slice(0, 12), { maxBytes: 1000 });
    expect(cut.sha).toBe(big);
    expect(cut.truncated).toBe(true);
    expect(Buffer.byteLength(cut.patch)).toBeLessThanOrEqual(1000);
    expect(cut.patch.endsWith('\n')).toBe(true);
    expect(cut.patch).not.toContain('\ufffd');

    const mergePatch = await adapter.showCommit(merge);
    expect(mergePatch.patch).toContain('+side: true');
    expect(mergePatch.patch).not.toContain('big.sls');

    await expect(adapter.showCommit('not-a-sha')).rejects.toSatisfy((e) =>
      isGitError(e, 'git.invalid_revision'),
    );
    await expect(adapter.showCommit('--output=/tmp/x')).rejects.toSatisfy((e) =>
      isGitError(e, 'git.invalid_revision'),
    );
    await expect(adapter.showCommit('0'.repeat(40))).rejects.toSatisfy((e) => isGitError(e, 'git.not_found'));
  });

  it('reads the files of a commit, following in-repository symlinks', async () => {
    const repo = newRepo();
    const first = repo.commit({
      message: 'first',
      files: { 'salt/top.sls': 'base: {}\n', 'docs/x.md': 'x\n', 'bin.dat': Buffer.from([1, 0, 2]) },
      at: '2017-06-01T00:00:00Z',
    });
    symlinkSync('core.sls', join(repo.path, 'salt', 'link.sls'));
    symlinkSync('../../outside.sls', join(repo.path, 'salt', 'escape.sls'));
    symlinkSync('/etc/passwd', join(repo.path, 'absolute.sls'));
    const second = repo.commit({
      message: 'second',
      files: {
        'salt/top.sls': "base:\n  '*':\n    - core\n",
        'salt/core.sls': 'core: {}\n',
        'docs/x.md': null,
      },
      at: '2017-06-02T00:00:00Z',
    });
    const adapter = adapterFor(repo);
    await adapter.sync();

    const old = await adapter.readTree(first);
    expect(old.listFiles().sort()).toEqual(['bin.dat', 'docs/x.md', 'salt/top.sls']);
    expect(old.readFile('salt/top.sls')).toBe('base: {}\n');
    expect(old.readFile('bin.dat')).toBeUndefined();
    expect(old.readFile('salt/core.sls')).toBeUndefined();

    const now = await adapter.readTree(second);
    expect(now.listFiles().sort()).toEqual([
      'absolute.sls',
      'bin.dat',
      'salt/core.sls',
      'salt/escape.sls',
      'salt/link.sls',
      'salt/top.sls',
    ]);
    expect(now.readFile('salt/link.sls')).toBe('core: {}\n');
    expect(now.readFile('salt/escape.sls')).toBeUndefined();
    expect(now.readFile('absolute.sls')).toBeUndefined();
    expect(now.readFile('salt/top.sls')).toContain('- core');
    expect(now.readFile('/salt/core.sls')).toBe('core: {}\n');
    expect(await adapter.readTree(second.slice(0, 8))).toBe(now);
  });
});
