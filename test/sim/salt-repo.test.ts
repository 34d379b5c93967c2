import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateFleet, type FleetScenario, type Target } from '../../server/sim/fleet-sim.ts';
import { repositoryCandidates } from '../../server/sim/salt-repo.candidates.ts';
import { writeSaltRepository } from '../../server/sim/salt-repo.ts';
import { DAY, HOUR, MINUTE, scenario } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'onset-salt-repo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

const keep = (key: string): boolean => key === 'node_memory_MemTotal_bytes';

async function build(s: FleetScenario, commits = 120) {
  const dir = join(root, `repo-${++counter}`);
  const { fleet, truth } = simulateFleet(s, { keep });
  const repo = await writeSaltRepository(dir, s, fleet, truth, { commits, historyDays: 14 });
  const hosts = fleet.hosts.map((h) => ({ id: h.host, labels: h.labels }));
  const { candidates, commits: listed } = await repositoryCandidates({
    source: dir,
    branch: repo.branch,
    cacheDir: join(root, `mirror-${counter}`),
    nodegroupsPath: repo.nodegroupsPath,
    hosts,
    landedFrom: s.from - DAY,
  });
  return { fleet, truth, repo, candidates, listed };
}

const change = (target: Target, seed: number): FleetScenario =>
  scenario({
    seed,
    hosts: 40,
    change: {
      at: scenario().from + 10 * HOUR,
      effect: { kind: 'slab-leak', slab: 'dentry', reclaimable: true, ratePerHour: 40 * 1024 * 1024 },
      lag: { kind: 'highstate', intervalMs: HOUR, splayMs: 10 * MINUTE },
      target,
    },
  });

describe('writeSaltRepository', () => {
  it.each([
    ['every host', { kind: 'all' }, 11],
    ['some roles', { kind: 'roles', roles: ['web', 'db', 'mail'] }, 12],
    ['a random part of the fleet, through a nodegroup', { kind: 'fraction', fraction: 0.5 }, 13],
  ] satisfies [string, Target, number][])(
    'writes a culprit whose reach, by the real pipeline, is the targeted hosts: %s',
    async (_, target, seed) => {
      const s = change(target, seed);
      const { repo, candidates, listed, fleet } = await build(s);
      expect(repo.culprit).not.toBeNull();
      const culprit = candidates.find((c) => c.id === repo.culprit);
      expect(culprit).toBeDefined();
      // On the deployed branch's first-parent history, landing a little before the change goes live.
      expect(listed.some((c) => c.sha === repo.culprit)).toBe(true);
      const lead = (s.change?.at ?? 0) - (culprit?.landedAt ?? 0);
      expect(lead).toBeGreaterThanOrEqual(29_000);
      expect(lead).toBeLessThanOrEqual(3 * MINUTE + 1000);
      expect(culprit?.reach.approximate).toBe(false);
      expect([...(culprit?.reach.hosts ?? [])].sort()).toEqual([...repo.targeted].sort());
      const expected =
        target.kind === 'all'
          ? fleet.hosts.map((h) => h.host)
          : target.kind === 'roles'
            ? fleet.hosts.filter((h) => target.roles.includes(h.labels['role'] ?? '')).map((h) => h.host)
            : null;
      if (expected) expect([...repo.targeted].sort()).toEqual(expected.sort());
      else expect(repo.targeted.size).toBeGreaterThan(10);
    },
  );

  it('covers every way the culprit is written: grain, states, pillar, nodegroup, and a merged branch', async () => {
    const kinds = new Set<string>();
    for (let seed = 20; seed < 30; seed++) {
      const target: Target = seed % 2 === 0 ? { kind: 'all' } : { kind: 'roles', roles: ['web', 'app'] };
      const { repo, candidates } = await build(change(target, seed), 60);
      const culprit = candidates.find((c) => c.id === repo.culprit);
      expect([...(culprit?.reach.hosts ?? [])].sort()).toEqual([...repo.targeted].sort());
      if (repo.culpritKind.endsWith('+merge')) kinds.add('merge');
      for (const f of culprit?.files ?? []) kinds.add(f.path.split('/').slice(0, 2).join('/'));
    }
    expect(kinds).toContain('merge');
    expect(kinds).toContain('salt/_grains');
    expect(kinds).toContain('pillar/inventory.sls');
    expect(kinds).toContain('salt/inventory');
  }, 120_000);

  it('has weeks of history by several authors, merges landing their branches at merge time, and decoys', async () => {
    const s = change({ kind: 'roles', roles: ['web'] }, 14);
    const { repo, listed, candidates } = await build(s, 200);
    expect(repo.commits).toBeGreaterThanOrEqual(190);
    expect(new Set(listed.map((c) => c.author)).size).toBeGreaterThanOrEqual(4);
    const first = listed[0]?.landedAt.toMillis() ?? 0;
    expect(s.from - first).toBeGreaterThan(10 * DAY);
    const merges = listed.filter((c) => c.merge);
    expect(merges.length).toBeGreaterThan(2);
    for (const merge of merges) {
      // The branch's commits were written days before; they reach the branch only with the merge.
      expect(merge.mergedCommits?.length ?? 0).toBeGreaterThan(0);
      expect(merge.landedAt.toMillis()).toBe(merge.committedAt.toMillis());
      expect(listed.some((c) => merge.mergedCommits?.includes(c.sha))).toBe(false);
    }
    const late = merges.find((m) => m.files.length > 0 && m.landedAt.toMillis() > s.from);
    expect(late).toBeDefined();
    // Decoys within two hours of the culprit: other roles, docs, pillar.
    const landed = repo.culpritLandedAt ?? 0;
    const near = candidates.filter((c) => c.id !== repo.culprit && Math.abs(c.landedAt - landed) < 2 * HOUR);
    expect(near.length).toBeGreaterThanOrEqual(5);
    expect(near.some((c) => c.reach.hosts.size === 0)).toBe(true);
    expect(near.some((c) => (c.files ?? []).some((f) => f.path.startsWith('pillar/')))).toBe(true);
    expect(
      near.some((c) => c.reach.hosts.size > 0 && [...c.reach.hosts].some((h) => !repo.targeted.has(h))),
    ).toBe(true);
  });

  it('reverts the culprit after the incident', async () => {
    const s = change({ kind: 'all' }, 15);
    const { repo, candidates, truth } = await build(s);
    const revert = candidates.find((c) => c.id === repo.revert);
    expect(revert?.revertOf).toBe(repo.culprit);
    const firstOnset = Math.min(...(truth.change?.hosts.values() ?? []));
    expect(revert?.landedAt ?? 0).toBeGreaterThan(firstOnset + 2 * HOUR);
    expect(revert?.subject).toMatch(/^Revert "/);
    // Undone: the revert reaches the same hosts.
    const culprit = candidates.find((c) => c.id === repo.culprit);
    expect([...(revert?.reach.hosts ?? [])].sort()).toEqual([...(culprit?.reach.hosts ?? [])].sort());
  });

  it('writes the same repository from the same scenario', async () => {
    const s = change({ kind: 'fraction', fraction: 0.4 }, 16);
    const a = await build(s, 80);
    const b = await build(s, 80);
    expect(a.repo.culprit).toBe(b.repo.culprit);
    expect(a.listed.map((c) => c.sha)).toEqual(b.listed.map((c) => c.sha));
  });

  it('has no culprit when the fleet has no change', async () => {
    const { repo, candidates } = await build(scenario({ seed: 17, hosts: 30 }), 80);
    expect(repo.culprit).toBeNull();
    expect(repo.revert).toBeNull();
    expect(candidates.length).toBeGreaterThan(10);
  });
});
