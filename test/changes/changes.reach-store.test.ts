import { afterAll, describe, expect, it } from 'vitest';
import { createChangesService, type ChangesService } from '../../server/changes/changes.service.ts';
import { createGitAdapter, type GitAdapter } from '../../server/changes/git.adapter.ts';
import { createLogger } from '../../server/logger.ts';
import type { TestOnset } from '../helpers/onset.ts';
import {
  asIngest,
  bob,
  carol,
  epoch,
  FixtureRepo,
  fleet,
  makeScratch,
  onsetFor,
  saltRepo,
  TOP,
} from './changes.fixture.ts';

const scratch = makeScratch('changes-reach-store');
afterAll(() => scratch.cleanup());

/** The hosts table as ingest fills it: each host with its labels, seen at `ts`. */
async function seen(t: TestOnset, hosts: ReturnType<typeof fleet>, ts: string): Promise<void> {
  const body = {
    hosts: hosts.map((h) => ({
      host: h.id,
      labels: h.labels,
      samples: [{ ts, values: { node_memory_Slab_bytes: 1 } }],
    })),
  };
  expect((await asIngest(t, '/api/v1/samples').send(body)).status).toBe(200);
}

/** A service over the fixture repository whose adapter counts the tree walks it is asked for. */
async function countingService(t: TestOnset, path: string) {
  const real = createGitAdapter({ source: path, cacheDir: `${scratch.dir('data')}/repo.git` });
  const walks: { since: string | null; until: string }[] = [];
  const git: GitAdapter = {
    ...real,
    walkTrees(range, options) {
      walks.push(range);
      return real.walkTrees(range, options);
    },
  };
  const changes: ChangesService = await createChangesService(
    t.onset.database.db,
    { git: { ...t.onset.config.git, repo: path }, salt: t.onset.config.salt, dataDir: scratch.root },
    createLogger('silent'),
    { git },
  );
  return { changes, walks };
}

const window = { from: epoch('2017-06-26T00:00:00Z'), to: epoch('2017-06-27T00:00:00Z') };
const reachOf = async (changes: ChangesService, hosts: ReturnType<typeof fleet>, sha: string) => {
  const found = (await changes.candidates({ ...window, hosts })).find((c) => c.id === sha);
  if (!found) throw new Error(`no candidate ${sha}`);
  return [...found.reach.hosts].sort();
};

describe('changes: reach stored once per commit', () => {
  it('computes the last 30 days after a sync in one walk, answers the fleet and its subsets from it', async () => {
    // Months older than the newest commit: outside the window computed ahead.
    const repo = FixtureRepo.init(scratch.dir('salt'), scratch.root);
    repo.commit({
      message: 'salt: roles',
      files: {
        'salt/top.sls': TOP,
        'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n',
        'salt/_grains/fleet_api.py': 'def fleet_api():\n    return {}\n',
      },
      at: '2017-01-01T09:00:00Z',
    });
    const oldSha = repo.commit({
      message: 'nginx: months ago',
      files: { 'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n# old\n' },
      at: '2017-01-01T10:00:00Z',
    });
    const grain = repo.commit({
      message: 'grain',
      files: { 'salt/_grains/fleet_api.py': 'def fleet_api():\n    return {"https": True}\n' },
      author: carol,
      at: '2017-06-26T06:40:00Z',
    });
    const nginx = repo.commit({
      message: 'nginx: four workers',
      files: { 'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n  # workers: 4\n' },
      author: bob,
      at: '2017-06-26T06:45:00Z',
    });
    const t = await onsetFor(repo, scratch);
    try {
      const hosts = fleet('s');
      const [web1, web2, db1] = hosts.map((h) => h.id) as [string, string, string];
      await seen(t, hosts, '2017-06-26T00:00:00Z');
      const { changes, walks } = await countingService(t, repo.path);
      await changes.sync();
      await changes.precomputed();
      expect(walks).toHaveLength(1);

      const rows = await t.onset.database.db
        .selectFrom('change_commit_reach')
        .select(['sha', 'all_hosts', 'hosts'])
        .execute();
      const bySha = new Map(rows.map((r) => [r.sha, r]));
      expect(bySha.has(oldSha)).toBe(false);
      expect(bySha.get(grain)).toMatchObject({ all_hosts: true, hosts: [] });
      expect(bySha.get(nginx)).toMatchObject({ all_hosts: false, hosts: [web1, web2].sort() });

      expect(await reachOf(changes, hosts, grain)).toEqual([db1, web1, web2].sort());
      expect(await reachOf(changes, hosts.slice(0, 2), grain)).toEqual([web1, web2].sort());
      expect(await reachOf(changes, [hosts[2] as (typeof hosts)[number]], nginx)).toEqual([]);
      expect(walks).toHaveLength(1);

      // Asked for, the older commit is computed and stored then.
      const older = await changes.candidates({
        from: epoch('2017-01-01T09:30:00Z'),
        to: epoch('2017-01-02T00:00:00Z'),
        hosts,
      });
      expect(older.map((c) => c.id)).toEqual([oldSha]);
      expect([...(older[0]?.reach.hosts ?? [])].sort()).toEqual([web1, web2].sort());
      expect(walks).toHaveLength(2);
      const stored = await t.onset.database.db
        .selectFrom('change_commit_reach')
        .select('sha')
        .where('sha', '=', oldSha)
        .execute();
      expect(stored).toHaveLength(1);
      await changes.stop();
    } finally {
      await t.close();
    }
  });

  it('recomputes when labels change, and computes only new commits after the next sync', async () => {
    const repo = saltRepo(scratch);
    const nginx = repo.commit({
      message: 'nginx: four workers',
      files: { 'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n  # workers: 4\n' },
      at: '2017-06-26T06:45:00Z',
    });
    const t = await onsetFor(repo, scratch);
    try {
      const hosts = fleet('l');
      const [web1, web2] = hosts.map((h) => h.id) as [string, string, string];
      await seen(t, hosts, '2017-06-26T00:00:00Z');
      const { changes, walks } = await countingService(t, repo.path);
      const first = await changes.sync();
      await changes.precomputed();
      expect(await reachOf(changes, hosts, nginx)).toEqual([web1, web2].sort());
      expect(walks).toHaveLength(1);

      // web-2 becomes a database: the stored answer no longer holds for it.
      const moved = hosts.map((h) => (h.id === web2 ? { ...h, labels: { ...h.labels, role: 'db' } } : h));
      await seen(t, moved, '2017-06-26T01:00:00Z');
      expect(await reachOf(changes, moved, nginx)).toEqual([web1]);
      expect(walks).toHaveLength(2);
      expect(await reachOf(changes, moved, nginx)).toEqual([web1]);
      expect(walks).toHaveLength(2);

      const next = repo.commit({
        message: 'postgres: tune',
        files: { 'salt/postgres/init.sls': 'postgresql:\n  pkg.installed: []\n# tuned\n' },
        at: '2017-06-26T07:00:00Z',
      });
      await changes.sync();
      await changes.precomputed();
      expect(walks).toHaveLength(3);
      expect(walks[2]).toEqual({ since: first.head, until: next });
      expect(await reachOf(changes, moved, next)).toEqual(
        [...moved.filter((h) => h.labels.role === 'db').map((h) => h.id)].sort(),
      );
      expect(walks).toHaveLength(3);
      await changes.stop();
    } finally {
      await t.close();
    }
  });
});
