import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CandidateChange } from '../../server/changes/ranking.ts';
import type { TestOnset } from '../helpers/onset.ts';
import {
  alice,
  asIngest,
  asReader,
  bob,
  carol,
  epoch,
  fleet,
  makeScratch,
  onsetFor,
  saltRepo,
} from './changes.fixture.ts';

const scratch = makeScratch('changes-candidates');
const hosts = fleet('c');
const [web1, web2, db1] = hosts.map((h) => h.id) as [string, string, string];
const sha: Record<string, string> = {};
let t: TestOnset;

beforeAll(async () => {
  const repo = saltRepo(scratch);
  sha.grain = repo.commit({
    message: 'fleet_api grain: talk to inventory over https',
    files: { 'salt/_grains/fleet_api.py': 'def fleet_api():\n    return {"https": True}\n' },
    author: carol,
    at: '2017-06-26T06:40:00Z',
  });
  sha.nginx = repo.commit({
    message: 'nginx: four workers',
    files: { 'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n  # workers: 4\n' },
    author: bob,
    at: '2017-06-26T06:45:00Z',
  });
  sha.docs = repo.commit({
    message: 'docs: runbook for the inventory API',
    files: { 'docs/runbook.md': '# runbook\ninventory\n' },
    author: alice,
    at: '2017-06-26T06:50:00Z',
  });
  sha.revert = repo.commit({
    message: `Revert "nginx: four workers"\n\nThis reverts commit ${sha.nginx}.\n`,
    files: { 'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n' },
    author: bob,
    at: '2017-06-26T09:00:00Z',
  });
  t = await onsetFor(repo, scratch);
  expect((await asIngest(t, '/api/v1/changes/sync')).status).toBe(200);
});
afterAll(async () => {
  await t?.close();
  scratch.cleanup();
});

const window = { from: epoch('2017-06-26T06:00:00Z'), to: epoch('2017-06-26T12:00:00Z') };
const byId = (candidates: CandidateChange[], id: string): CandidateChange => {
  const found = candidates.find((c) => c.id === id);
  if (!found) throw new Error(`no candidate ${id}`);
  return found;
};

describe('changes: candidates for ranking', () => {
  it('gives each commit in the window its reach: a grain module, a role state, docs', async () => {
    const candidates = await t.onset.changes.candidates({ ...window, hosts });
    // The initial commit landed before the window.
    expect(candidates.map((c) => c.id)).toEqual([sha.grain, sha.nginx, sha.docs, sha.revert]);

    const grain = byId(candidates, sha.grain as string);
    expect(grain).toMatchObject({
      kind: 'commit',
      landedAt: epoch('2017-06-26T06:40:00Z'),
      subject: 'fleet_api grain: talk to inventory over https',
      author: carol.name,
      files: [{ path: 'salt/_grains/fleet_api.py', additions: 1, deletions: 1 }],
    });
    expect([...grain.reach.hosts].sort()).toEqual([db1, web1, web2].sort());
    expect(grain.reach.approximate).toBe(false);
    expect(grain.reach.reasons.join(' ')).toMatch(/custom grain module/);

    const nginx = byId(candidates, sha.nginx as string);
    expect([...nginx.reach.hosts].sort()).toEqual([web1, web2].sort());
    expect(nginx.reach.reasons.join(' ')).toMatch(/nginx/);

    const docs = byId(candidates, sha.docs as string);
    expect(docs.reach.hosts.size).toBe(0);
    expect(docs.reach.reasons.join(' ')).toMatch(/documentation/);

    const revert = byId(candidates, sha.revert as string);
    expect(revert.revertOf).toBe(sha.nginx);
    expect(nginx.revertOf).toBeUndefined();
  });

  it('keeps reach per host set: other hosts, other answer', async () => {
    const webOnly = hosts.filter((h) => h.labels.role === 'web');
    const candidates = await t.onset.changes.candidates({ ...window, hosts: webOnly });
    expect([...byId(candidates, sha.grain as string).reach.hosts].sort()).toEqual([web1, web2].sort());
    const again = await t.onset.changes.candidates({ ...window, hosts });
    expect(byId(again, sha.grain as string).reach.hosts.size).toBe(3);
  });

  it('gives events their hosts: per-host apply times, a compound target, or every host', async () => {
    const post = (body: object) => asIngest(t, '/api/v1/changes').send(body);
    expect(
      (
        await post({
          id: 'apt-openssl-c',
          kind: 'package',
          title: 'openssl upgrade',
          hosts: [
            { host: web1, applied_at: '2017-06-26T06:41:00Z' },
            { host: db1, applied_at: '2017-06-26T06:44:00Z' },
          ],
        })
      ).status,
    ).toBe(201);
    await post({
      id: 'run-db-c',
      kind: 'manual',
      title: 'state.apply on the databases',
      target: 'G@role:db or L@nobody',
      landed_at: '2017-06-26T07:00:00Z',
    });
    await post({ id: 'deploy-c', kind: 'deploy', title: 'inventory 2.0', landed_at: '2017-06-26T08:00:00Z' });

    const candidates = await t.onset.changes.candidates({ ...window, hosts });
    const apt = byId(candidates, 'apt-openssl-c');
    expect(apt).toMatchObject({
      kind: 'event',
      landedAt: epoch('2017-06-26T06:41:00Z'),
      subject: 'openssl upgrade',
    });
    expect([...apt.reach.hosts].sort()).toEqual([db1, web1].sort());
    expect(apt.appliedAt).toEqual(
      new Map([
        [web1, epoch('2017-06-26T06:41:00Z')],
        [db1, epoch('2017-06-26T06:44:00Z')],
      ]),
    );
    expect([...byId(candidates, 'run-db-c').reach.hosts]).toEqual([db1]);
    const deploy = byId(candidates, 'deploy-c');
    expect(deploy.reach).toMatchObject({ approximate: true });
    expect(deploy.reach.hosts.size).toBe(3);
    // In time order, events beside commits.
    expect(candidates.map((c) => c.landedAt)).toEqual(
      [...candidates.map((c) => c.landedAt)].sort((a, b) => a - b),
    );
  });

  it('shows one commit with its patch and the hosts it reaches among those that sent samples', async () => {
    const samples = hosts.map((h) => ({
      host: h.id,
      labels: h.labels,
      samples: [{ ts: '2017-06-26T06:00:00Z', values: { node_memory_Slab_bytes: 1 } }],
    }));
    expect((await asIngest(t, '/api/v1/samples').send({ hosts: samples })).status).toBe(200);
    const res = await asReader(t, `/api/v1/changes/${sha.nginx}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      type: 'commit',
      sha: sha.nginx,
      subject: 'nginx: four workers',
      landed_at: '2017-06-26T06:45:00Z',
      files: [{ path: 'salt/nginx/init.sls', status: 'M', additions: 1, deletions: 0 }],
      patch_truncated: false,
    });
    expect(res.body.patch).toContain('+  # workers: 4');
    expect(res.body.reach.hosts).toEqual([web1, web2].sort());
    expect(res.body.reach.hosts_total).toBeGreaterThanOrEqual(3);
    const revert = await asReader(t, `/api/v1/changes/${sha.revert}`);
    expect(revert.body.revert_of).toBe(sha.nginx);
    expect((await asReader(t, `/api/v1/changes/${'0'.repeat(40)}`)).status).toBe(404);
  });
});
