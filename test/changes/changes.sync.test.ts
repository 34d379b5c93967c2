import { afterAll, describe, expect, it } from 'vitest';
import { createChangesService } from '../../server/changes/changes.service.ts';
import type { GitAdapter, GitSyncResult } from '../../server/changes/git.adapter.ts';
import { createLogger } from '../../server/logger.ts';
import { createTestOnset, readToken, type TestOnset } from '../helpers/onset.ts';
import {
  alice,
  asIngest,
  asReader,
  bob,
  carol,
  eventually,
  makeScratch,
  onsetFor,
  saltRepo,
} from './changes.fixture.ts';

const scratch = makeScratch('changes-sync');
const open: TestOnset[] = [];
afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
  scratch.cleanup();
});

async function track(t: Promise<TestOnset>): Promise<TestOnset> {
  const ready = await t;
  open.push(ready);
  return ready;
}

const window = '/api/v1/changes?from=2017-06-01T00:00:00Z&to=2017-07-01T00:00:00Z';
type ListedCommit = {
  sha: string;
  subject: string;
  landed_at: string;
  merge: boolean;
  merged_commits?: string[];
};
const listed = async (t: TestOnset): Promise<ListedCommit[]> => {
  const res = await asReader(t, window);
  expect(res.status).toBe(200);
  return res.body.commits as ListedCommit[];
};

describe('changes: repository sync', () => {
  it('answers healthz 503 until the repository has been read once, then 200', async () => {
    const repo = saltRepo(scratch);
    const t = await track(onsetFor(repo, scratch));
    const before = await t.http.get('/healthz');
    expect(before.status).toBe(503);
    expect(before.body.pending).toEqual(['git repository (first sync)']);

    await t.onset.start();
    const after = await eventually(async () => {
      const res = await t.http.get('/healthz');
      return res.status === 200 ? res : undefined;
    });
    expect(after.body).toEqual({ status: 'ok', pending: [] });
    const res = await asReader(t, window);
    expect(res.body.repository).toMatchObject({ branch: 'main', head: repo.head(), last_error: null });
    expect(res.body.commits).toHaveLength(1);
  });

  it('stores first-parent commits with landed-at times; a merge lands its branch at merge time', async () => {
    const repo = saltRepo(scratch);
    repo.git(['checkout', '--quiet', '-b', 'feature']);
    const early = repo.commit({
      message: 'grains: fleet api over https',
      files: { 'salt/_grains/fleet_api.py': 'def fleet_api():\n    return {"https": True}\n' },
      author: carol,
      at: '2017-06-21T09:00:00Z',
    });
    repo.git(['checkout', '--quiet', 'main']);
    repo.commit({
      message: 'docs: runbook',
      files: { 'docs/runbook.md': '# runbook\nrestart\n' },
      author: bob,
      at: '2017-06-22T09:00:00Z',
    });
    const merge = repo.merge({
      branch: 'feature',
      message: 'Merge feature',
      at: '2017-06-26T06:49:00Z',
      author: bob,
    });

    const t = await track(onsetFor(repo, scratch));
    const sync = await asIngest(t, '/api/v1/changes/sync');
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({
      branch: 'main',
      head: merge,
      previous_head: null,
      added: 3,
      replaced: true,
    });

    const commits = await listed(t);
    // Newest first; the feature branch's own commit is not on the first-parent chain.
    expect(commits.map((c) => c.subject)).toEqual([
      'Merge feature',
      'docs: runbook',
      'salt: roles, grains and docs',
    ]);
    expect(commits[0]).toMatchObject({
      sha: merge,
      merge: true,
      merged_commits: [early],
      landed_at: '2017-06-26T06:49:00Z',
    });

    const detail = await asReader(t, `/api/v1/changes/${merge}`);
    expect(detail.status).toBe(200);
    expect(detail.body.files).toEqual([
      { path: 'salt/_grains/fleet_api.py', status: 'M', additions: 1, deletions: 1 },
    ]);
    expect(detail.body.patch).toContain('+    return {"https": True}');
    expect(detail.body.patch_truncated).toBe(false);
  });

  it('stores only what is new on the next sync', async () => {
    const repo = saltRepo(scratch);
    const t = await track(onsetFor(repo, scratch));
    // CI and webhooks push changes: asking for a sync takes the ingest right.
    expect((await t.http.post('/api/v1/changes/sync')).status).toBe(401);
    expect(
      (await t.http.post('/api/v1/changes/sync').set('Authorization', `Bearer ${readToken}`)).status,
    ).toBe(403);
    expect((await asIngest(t, '/api/v1/changes/sync')).body.added).toBe(1);
    const first = repo.head();

    const again = await asIngest(t, '/api/v1/changes/sync');
    expect(again.body).toMatchObject({ head: first, previous_head: first, added: 0, replaced: false });

    const next = repo.commit({
      message: 'nginx: workers',
      files: { 'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n# workers: 4\n' },
      author: alice,
      at: '2017-06-23T09:00:00Z',
    });
    const incremental = await asIngest(t, '/api/v1/changes/sync');
    expect(incremental.body).toMatchObject({ head: next, previous_head: first, added: 1, replaced: false });
    expect((await listed(t)).map((c) => c.sha)).toEqual([next, first]);
  });

  it('replaces the stored history after a force-push', async () => {
    const repo = saltRepo(scratch);
    const base = repo.head();
    const dropped = repo.commit({
      message: 'postgres: tuning',
      files: { 'salt/postgres/init.sls': 'postgresql:\n  pkg.installed: []\n# shared_buffers\n' },
      at: '2017-06-23T09:00:00Z',
    });
    const t = await track(onsetFor(repo, scratch));
    await asIngest(t, '/api/v1/changes/sync');
    expect((await listed(t)).map((c) => c.sha)).toEqual([dropped, base]);

    repo.git(['reset', '--quiet', '--hard', base]);
    const rewritten = repo.commit({
      message: 'postgres: tuning, reviewed',
      files: { 'salt/postgres/init.sls': 'postgresql:\n  pkg.installed: []\n# shared_buffers = 1GB\n' },
      at: '2017-06-24T09:00:00Z',
    });
    const forced = await asIngest(t, '/api/v1/changes/sync');
    expect(forced.body).toMatchObject({ head: rewritten, previous_head: dropped, added: 2, replaced: true });
    expect((await listed(t)).map((c) => c.sha)).toEqual([rewritten, base]);
    expect((await asReader(t, `/api/v1/changes/${dropped}`)).status).toBe(404);
    expect((await asReader(t, `/api/v1/changes/${rewritten.slice(0, 10)}`)).body.sha).toBe(rewritten);
  });

  it('records a failed sync, answers 502 to the caller and keeps serving', async () => {
    const t = await track(onsetFor(`${scratch.root}/no-such-repository`, scratch));
    const res = await asIngest(t, '/api/v1/changes/sync');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('git.failed');
    const state = (await asReader(t, window)).body.repository;
    expect(state.head).toBeNull();
    expect(state.last_error).toMatch(/failed/);
    expect((await t.http.get('/healthz')).status).toBe(503);
    expect((await asReader(t, '/api/v1/hosts')).status).toBe(200);
  });

  it('is ready at once without a repository, and has none to sync', async () => {
    const t = await track(createTestOnset());
    expect((await t.http.get('/healthz')).status).toBe(200);
    expect((await asIngest(t, '/api/v1/changes/sync')).status).toBe(404);
    expect((await asReader(t, window)).body.repository).toBeNull();

    // The service alone, on the same database, with a git adapter that holds each sync until released.
    let active = 0;
    let most = 0;
    let syncs = 0;
    let release: () => void = () => {};
    const head = 'a'.repeat(40);
    const git = {
      source: { kind: 'local', location: '/fake', display: '/fake' },
      async sync(): Promise<GitSyncResult> {
        syncs++;
        active++;
        most = Math.max(most, active);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        active--;
        return { branch: 'main', head, previousHead: null, forced: false };
      },
      async listCommits() {
        return { head, commits: [], rewritten: false };
      },
    } as unknown as GitAdapter;
    const changes = await createChangesService(
      t.onset.database.db,
      { git: { ...t.onset.config.git, repo: '/fake' }, salt: t.onset.config.salt, dataDir: scratch.root },
      createLogger('silent'),
      { git },
    );
    expect(changes.pending()).toEqual(['git repository (first sync)']);
    const first = changes.sync();
    const waiting = [changes.sync(), changes.sync(), changes.sync()];
    await eventually(async () => (syncs === 1 ? true : undefined));
    release();
    await first;
    await eventually(async () => (syncs === 2 ? true : undefined));
    release();
    const results = await Promise.all(waiting);
    expect(results.every((r) => r.head === head)).toBe(true);
    expect(syncs).toBe(2);
    expect(most).toBe(1);
    expect(changes.pending()).toEqual([]);
  });
});
