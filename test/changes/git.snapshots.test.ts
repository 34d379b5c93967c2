import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitAdapter, type GitAdapter, type TreeSnapshot } from '../../server/changes/git.adapter.ts';
import { createSaltReach, createSaltReachCache } from '../../server/changes/salt/reach.ts';
import { alice, bob, carol, FixtureRepo, makeScratch } from './git-fixture.ts';

const scratch = makeScratch('git-snapshots');
afterAll(() => scratch.cleanup());

const saltFile = (path: string) => /\.(sls|jinja|jinja2|j2|tmpl)$/.test(path);
const hosts = [
  { id: 'web-1', labels: { role: 'web' } },
  { id: 'db-1', labels: { role: 'db' } },
];

let repo: FixtureRepo;
let git: GitAdapter;
const shas: string[] = [];

beforeAll(async () => {
  repo = FixtureRepo.init(scratch.dir('source'), scratch.root);
  const commit = (message: string, files: Record<string, string | Buffer | null>, at: string) =>
    shas.push(repo.commit({ message, files, at, author: alice }));
  commit(
    'roles',
    {
      'salt/top.sls': "base:\n  '*':\n    - common\n  'G@role:web':\n    - nginx\n",
      'salt/common/init.sls': 'include:\n  - .ntp\n',
      'salt/common/ntp.sls': 'ntp:\n  pkg.installed: []\n',
      'salt/nginx/init.sls': 'nginx:\n  file.managed:\n    - source: salt://nginx/files/nginx.conf\n',
      'salt/nginx/files/nginx.conf': 'worker_processes 2;\n',
      'salt/nginx/map.jinja': '{% set workers = 2 %}\n',
      'salt/_grains/fleet.py': 'def fleet():\n    return {}\n',
      'docs/readme.md': '# docs\n',
      'salt/blob.bin': Buffer.from([0, 1, 2, 3]),
    },
    '2017-06-01T09:00:00Z',
  );
  commit(
    'nginx: four workers',
    { 'salt/nginx/files/nginx.conf': 'worker_processes 4;\n' },
    '2017-06-02T09:00:00Z',
  );
  commit(
    'postgres role; drop the ntp state',
    {
      'salt/postgres/init.sls': 'postgresql:\n  pkg.installed: []\n',
      'salt/top.sls':
        "base:\n  '*':\n    - common\n  'G@role:web':\n    - nginx\n  'G@role:db':\n    - postgres\n",
      'salt/common/ntp.sls': null,
      'salt/common/init.sls': 'ntp-gone: {}\n',
    },
    '2017-06-03T09:00:00Z',
  );
  // A rename and a symlink.
  repo.git(['mv', 'salt/nginx/map.jinja', 'salt/nginx/defaults.jinja']);
  symlinkSync('init.sls', join(repo.path, 'salt/nginx/alias.sls'));
  commit('nginx: rename map, alias', {}, '2017-06-04T09:00:00Z');
  // A branch written earlier, merged later: the merge brings both of its commits at once.
  repo.git(['checkout', '--quiet', '-b', 'feature', shas[1] as string]);
  repo.commit({
    message: 'grain: https',
    files: { 'salt/_grains/fleet.py': 'def fleet():\n    return {"https": 1}\n' },
    at: '2017-06-02T12:00:00Z',
    author: carol,
  });
  repo.commit({
    message: 'cache role',
    files: { 'salt/cache/init.sls': 'redis: {}\n', 'docs/cache.md': 'cache\n' },
    at: '2017-06-02T13:00:00Z',
    author: carol,
  });
  repo.git(['checkout', '--quiet', 'main']);
  shas.push(
    repo.merge({ branch: 'feature', message: 'Merge feature', at: '2017-06-05T09:00:00Z', author: bob }),
  );
  commit('docs only', { 'docs/readme.md': '# docs\nmore\n', 'salt/blob.bin': null }, '2017-06-06T09:00:00Z');

  git = createGitAdapter({ source: repo.path, cacheDir: join(scratch.dir('data'), 'repo.git') });
  await git.sync();
});

/** What the reach code reads: SLS and templates, and the files the commit changed. */
function expectSame(walked: TreeSnapshot, full: TreeSnapshot, changed: readonly string[]): void {
  expect([...walked.listFiles()].sort()).toEqual([...full.listFiles()].sort());
  for (const path of [...full.listFiles().filter(saltFile), ...changed]) {
    expect(walked.readFile(path), path).toEqual(full.readFile(path));
  }
}

describe('git adapter: walking first-parent trees', () => {
  it('gives each commit the same tree as readTree, from the root', async () => {
    const walk = await git.walkTrees({ since: null, until: shas.at(-1) as string }, { wanted: saltFile });
    expect(walk.map((w) => w.sha)).toEqual(shas);
    expect(walk[0]?.previous).toBeUndefined();
    const listing = await git.listCommits();
    for (const [i, step] of walk.entries()) {
      const files =
        listing.commits[i]?.files.flatMap((f) => [f.path, ...(f.oldPath ? [f.oldPath] : [])]) ?? [];
      expectSame(step.snapshot, await git.readTree(step.sha), files);
      if (step.parent !== undefined && step.previous !== undefined)
        expectSame(step.previous, await git.readTree(step.parent), files);
    }
    const merged = walk[4]?.snapshot;
    expect(merged?.readFile('salt/cache/init.sls')).toBe('redis: {}\n');
    expect(merged?.readFile('salt/nginx/alias.sls')).toContain('nginx:');
    expect(walk[5]?.snapshot.listFiles()).not.toContain('salt/blob.bin');
  });

  it('starts from a commit in the middle: one ls-tree, then the diffs', async () => {
    const walk = await git.walkTrees(
      { since: shas[1] as string, until: shas[4] as string },
      { wanted: saltFile },
    );
    expect(walk.map((w) => w.sha)).toEqual(shas.slice(2, 5));
    expectSame(walk[0]?.previous as TreeSnapshot, await git.readTree(shas[1] as string), []);
    for (const step of walk) expectSame(step.snapshot, await git.readTree(step.sha), []);
    expect(
      await git.walkTrees({ since: shas[4] as string, until: shas[4] as string }, { wanted: saltFile }),
    ).toEqual([]);
  });

  it('gives the same reach as full trees at every commit', async () => {
    const walk = await git.walkTrees({ since: null, until: shas.at(-1) as string }, { wanted: saltFile });
    const listing = await git.listCommits();
    const cache = createSaltReachCache();
    for (const [i, step] of walk.entries()) {
      const paths =
        listing.commits[i]?.files.flatMap((f) => [...(f.oldPath ? [f.oldPath] : []), f.path]) ?? [];
      const full = await git.readTree(step.sha);
      const parent = step.parent === undefined ? undefined : await git.readTree(step.parent);
      const expected = createSaltReach({
        snapshot: full,
        ...(parent ? { previous: parent } : {}),
        hosts,
      }).reachOfChange(paths);
      const actual = createSaltReach({
        snapshot: step.snapshot,
        ...(step.previous ? { previous: step.previous } : {}),
        hosts,
        cache,
      }).reachOfChange(paths);
      expect(actual, step.sha).toEqual(expected);
    }
  });

  it('refuses what is not a commit id', async () => {
    await expect(
      git.walkTrees({ since: '--output=x', until: shas[0] as string }, { wanted: saltFile }),
    ).rejects.toMatchObject({
      code: 'git.invalid_revision',
    });
  });
});
