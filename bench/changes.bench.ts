import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FleetAnalysis } from '../server/analysis/analyze-fleet.ts';
import { createChangesService } from '../server/changes/changes.service.ts';
import { createGitAdapter } from '../server/changes/git.adapter.ts';
import { logFormatArgs } from '../server/changes/git.log-parse.ts';
import { rankChanges } from '../server/changes/ranking.ts';
import { referenceScores } from '../server/changes/ranking.reference.ts';
import { createDatabase, type Db } from '../server/db/database.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { createLogger } from '../server/logger.ts';
import { DATA_CENTRES, ROLES } from '../server/sim/host-catalog.ts';
import { onsetAnalysis } from '../server/sim/onset-analysis.ts';
import { createRng } from '../server/sim/prng.ts';
import { FIXED_FILES, pillarTop, repositoryUnits, topFile } from '../server/sim/salt-repo.content.ts';
import { fmt, freshDatabase, line, median, section } from './lib.ts';

const minuteMs = 60_000;
const dayMs = 24 * 60 * minuteMs;
const stepMs = 25 * minuteMs;
const end = Date.UTC(2026, 0, 1);
const gitEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  LC_ALL: 'C',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
const roles = ROLES.map((r) => r.name);
const dcs = DATA_CENTRES.map((d) => d.name);

/** fast-import commands for one commit; `files` maps a path to its content, null to delete it. */
function commitCommand(
  ref: string,
  mark: number,
  at: number,
  message: string,
  files: Record<string, string | null>,
  parents: { from?: string; merge?: string } = {},
): string {
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const who = `Bench Ops <ops@example.net> ${Math.floor(at / 1000)} +0000`;
  let out = `commit ${ref}\nmark :${mark}\nauthor ${who}\ncommitter ${who}\n${data(message)}`;
  if (parents.from) out += `from ${parents.from}\n`;
  if (parents.merge) out += `merge ${parents.merge}\n`;
  for (const [file, content] of Object.entries(files)) {
    out += content === null ? `D ${file}\n` : `M 100644 inline ${file}\n${data(content)}`;
  }
  return out + '\n';
}

/**
 * A bare Salt repository of `commits` first-parent commits 25 minutes apart, written by one
 * `git fast-import`: the simulator's files edited one or two at a time, the top file now and then, and
 * every 97th commit a merge of a two-commit branch.
 */
function generateRepository(dir: string, commits: number): { head: string; lastAt: number } {
  execFileSync('git', ['init', '--quiet', '--bare', '-b', 'main', dir], { env: gitEnv });
  const rng = createRng(20_000);
  const units = repositoryUnits(roles, dcs);
  const revs = new Map(units.map((u) => [u.path, 0]));
  const totalWeight = units.reduce((sum, u) => sum + u.weight, 0);
  const pickUnit = () => {
    let r = rng.next() * totalWeight;
    for (const u of units) if ((r -= u.weight) <= 0) return u;
    return units.at(-1) as (typeof units)[number];
  };
  const start = end - commits * stepMs;
  const initial: Record<string, string> = {
    ...FIXED_FILES,
    'salt/top.sls': topFile(roles, dcs, []),
    'pillar/top.sls': pillarTop(roles, [], []),
  };
  for (const u of units) initial[u.path] = u.render(0);
  const parts = [commitCommand('refs/heads/main', 1, start, 'salt: initial states\n', initial)];
  let mark = 1;
  let mainTip = 1;
  for (let i = 1; i < commits; i++) {
    const at = start + i * stepMs;
    const edit = (): Record<string, string> => {
      const u = pickUnit();
      const rev = (revs.get(u.path) ?? 0) + 1;
      revs.set(u.path, rev);
      return { [u.path]: u.render(rev) };
    };
    if (i % 97 === 0) {
      // A branch from the current tip, written over the last hour, merged now.
      const side = 'refs/heads/side';
      parts.push(
        commitCommand(side, ++mark, at - 50 * minuteMs, 'side: first\n', edit(), { from: `:${mainTip}` }),
      );
      parts.push(
        commitCommand(side, ++mark, at - 40 * minuteMs, 'side: second\n', edit(), { from: `:${mark - 1}` }),
      );
      const branchTip = mark;
      parts.push(
        commitCommand(
          'refs/heads/main',
          ++mark,
          at,
          `Merge branch side ${i}\n`,
          {},
          { from: `:${mainTip}`, merge: `:${branchTip}` },
        ),
      );
    } else if (i % 500 === 0) {
      const extra = i % 1000 === 0 ? [] : ["  'G@role:web and G@dc:ams1':", '    - dc.ams1'];
      parts.push(
        commitCommand(
          'refs/heads/main',
          ++mark,
          at,
          'top: targeting\n',
          { 'salt/top.sls': topFile(roles, dcs, extra) },
          { from: `:${mainTip}` },
        ),
      );
    } else {
      const files = rng.chance(0.2) ? { ...edit(), ...edit() } : edit();
      parts.push(
        commitCommand('refs/heads/main', ++mark, at, `${Object.keys(files).join(', ')}: edit\n`, files, {
          from: `:${mainTip}`,
        }),
      );
    }
    mainTip = mark;
  }
  execFileSync('git', ['--git-dir', dir, 'fast-import', '--quiet'], {
    env: gitEnv,
    input: parts.join(''),
    maxBuffer: 1 << 30,
  });
  const head = execFileSync('git', ['--git-dir', dir, 'rev-parse', 'refs/heads/main'], {
    env: gitEnv,
    encoding: 'utf8',
  }).trim();
  return { head, lastAt: start + (commits - 1) * stepMs };
}

/** One more commit on the branch: an nginx edit. */
function appendCommit(dir: string, at: number, n: number): void {
  const stream = commitCommand(
    'refs/heads/main',
    1,
    at,
    `nginx: bench edit ${n}\n`,
    {
      'salt/nginx/init.sls': `nginx:\n  pkg.installed: []\n# bench ${n}\n`,
    },
    { from: 'refs/heads/main^0' },
  );
  execFileSync('git', ['--git-dir', dir, 'fast-import', '--quiet'], { env: gitEnv, input: stream });
}

/** `count` hosts named after their role (the top file targets some roles by name), with role and dc labels. */
function fleetOf(count: number): { id: string; labels: Record<string, string> }[] {
  return Array.from({ length: count }, (_, i) => {
    const role = roles[i % roles.length] as string;
    const dc = dcs[i % dcs.length] as string;
    return { id: `${role}-${String(i).padStart(4, '0')}.${dc}`, labels: { role, dc } };
  });
}

async function insertHosts(db: Db, hosts: { id: string; labels: Record<string, string> }[]): Promise<void> {
  const at = new Date(end);
  await db
    .insertInto('hosts')
    .values(hosts.map((h) => ({ name: h.id, labels: JSON.stringify(h.labels), first_ts: at, last_ts: at })))
    .execute();
}

/** The web hosts changed within an hour of `first`: what the ranking is asked to explain. */
function analysisOf(hosts: { id: string; labels: Record<string, string> }[], first: number): FleetAnalysis {
  const affected = hosts.filter((h) => h.labels.role === 'web');
  return onsetAnalysis({
    from: first - 2 * dayMs,
    to: first + dayMs,
    hosts: hosts.map((h) => ({ host: h.id, labels: h.labels })),
    onsets: new Map(
      affected.map((h, i) => [
        h.id,
        first + Math.round((i / Math.max(1, affected.length - 1)) * 60 * minuteMs),
      ]),
    ),
  });
}

const seconds = (ms: number) => `${fmt(ms / 1000, 1)} s`;
const millis = (ms: number) => `${fmt(ms, 0)} ms`;

export async function changesBench(options: { commits: number; hosts: number; runs: number }): Promise<void> {
  section(`Changes: sync and ranking (${fmt(options.commits)} commits, ${fmt(options.hosts)} hosts)`);
  const scratch = await mkdtemp(path.join(tmpdir(), 'onset-bench-changes-'));
  const logger = createLogger('warn');
  const database = await freshDatabase('onset_bench_changes');
  try {
    const source = path.join(scratch, 'source.git');
    const generated = performance.now();
    const { lastAt } = generateRepository(source, options.commits);
    line(`generated the repository in ${seconds(performance.now() - generated)} (git fast-import)`);
    const fleet = fleetOf(options.hosts);

    const firstSync: number[] = [];
    const firstReady: number[] = [];
    const baseline: number[] = [];
    const incremental: number[] = [];
    const incrementalReady: number[] = [];
    const ranking: number[] = [];
    const candidatesMs: number[] = [];
    const rankMs: number[] = [];
    const referenceMs: number[] = [];
    const steadyMs: number[] = [];
    let coldRanking = 0;
    let candidates = 0;
    let suspects = 0;
    let precomputedCommits = 0;
    let appended = 0;
    const firstRuns = Math.min(options.runs, 3);
    for (let run = 0; run < firstRuns; run++) {
      const handle = await createDatabase({ url: database.url, dataDir: '', poolSize: 4 }, logger);
      try {
        await migrateToLatest(handle.db);
        await handle.db.deleteFrom('change_commit_reach').execute();
        await handle.db.deleteFrom('change_reach_host_sets').execute();
        await handle.db.deleteFrom('change_commits').execute();
        await handle.db.deleteFrom('change_sync_state').execute();
        await handle.db.deleteFrom('hosts').execute();
        await insertHosts(handle.db, fleet);
        const dataDir = path.join(scratch, `data-${run}`);
        const changes = await createChangesService(
          handle.db,
          {
            git: { repo: source, branch: 'main', intervalMs: 3_600_000, webhookSecret: undefined },
            salt: { nodegroupsFile: undefined },
            dataDir,
          },
          logger,
        );
        const started = performance.now();
        await changes.sync();
        firstSync.push(performance.now() - started);
        await changes.precomputed();
        firstReady.push(performance.now() - started);
        if (run === 0) {
          const row = await handle.db
            .selectFrom('change_commit_reach')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow();
          precomputedCommits = Number(row.n);
        }

        // Baseline: git log of the same history, in the form the adapter reads, on the same mirror.
        const mirror = path.join(dataDir, 'repo.git');
        const logStarted = performance.now();
        execFileSync(
          'git',
          ['--git-dir', mirror, 'log', '--first-parent', ...logFormatArgs, 'refs/heads/main'],
          {
            env: gitEnv,
            maxBuffer: 1 << 30,
            stdio: ['ignore', 'ignore', 'ignore'],
          },
        );
        baseline.push(performance.now() - logStarted);

        if (run === firstRuns - 1) {
          for (let i = 0; i < options.runs; i++) {
            appendCommit(source, lastAt + ++appended * minuteMs, appended);
            const t0 = performance.now();
            await changes.sync();
            incremental.push(performance.now() - t0);
            await changes.precomputed();
            incrementalReady.push(performance.now() - t0);
          }
          const first = lastAt - 2 * 60 * minuteMs;
          const analysis = analysisOf(fleet, first);
          const hosts = fleet;
          const rank = async () => {
            const t1 = performance.now();
            const found = await changes.candidates({
              from: first - 3 * dayMs,
              to: first + 10 * minuteMs,
              hosts,
            });
            candidates = found.length;
            const r0 = performance.now();
            suspects = rankChanges({ analysis, candidates: found }).length;
            return { candidates: r0 - t1, rank: performance.now() - r0 };
          };
          const cold = performance.now();
          await rank();
          coldRanking = performance.now() - cold;
          for (let i = 0; i < options.runs; i++) {
            const t0 = performance.now();
            const parts = await rank();
            ranking.push(performance.now() - t0);
            candidatesMs.push(parts.candidates);
            rankMs.push(parts.rank);
          }
          // Baseline: the same model evaluated candidate by candidate and host by host, on the same input.
          const found = await changes.candidates({
            from: first - 3 * dayMs,
            to: first + 10 * minuteMs,
            hosts,
          });
          for (let i = 0; i < Math.min(options.runs, 3); i++) {
            const t0 = performance.now();
            referenceScores({ analysis, candidates: found });
            referenceMs.push(performance.now() - t0);
          }
          // The same ranking once the process has ranked a few times more: its code compiled.
          for (let i = 0; i < 20; i++) rankChanges({ analysis, candidates: found });
          for (let i = 0; i < options.runs; i++) {
            const t0 = performance.now();
            rankChanges({ analysis, candidates: found });
            steadyMs.push(performance.now() - t0);
          }
        }
        await changes.stop();
      } finally {
        await handle.close();
      }
    }

    // The previous way, for scale: each commit's tree and its parent's read by `ls-tree` and `cat-file`.
    const git = createGitAdapter({ source, cacheDir: path.join(scratch, 'data-0', 'repo.git') });
    const listing = await git.listCommits();
    const sample = listing.commits.slice(-21);
    const treeStarted = performance.now();
    for (const c of sample.slice(1)) {
      await git.readTree(c.sha);
      await git.readTree(c.parents[0] as string);
    }
    const perCommitTrees = (performance.now() - treeStarted) / (sample.length - 1);
    const walkStarted = performance.now();
    await git.walkTrees(
      { since: (sample[0] as { sha: string }).sha, until: (sample.at(-1) as { sha: string }).sha },
      { wanted: (p) => /\.(sls|jinja|jinja2|j2|tmpl)$/.test(p) },
    );
    const walkTrees = performance.now() - walkStarted;

    line('');
    line('| step | median | bar |');
    line('| --- | --- | --- |');
    line(
      `| first sync: fetch, list and store ${fmt(options.commits)} commits | ${seconds(median(firstSync))} | 30 s |`,
    );
    line(
      `| first sync and reach of the last 30 days computed ahead (${fmt(precomputedCommits)} commits, background) | ${seconds(median(firstReady))} | |`,
    );
    line(
      `| baseline: \`git log --first-parent --raw --numstat\` of the same history | ${seconds(median(baseline))} | |`,
    );
    line(`| incremental sync after one new commit | ${millis(median(incremental))} | 1 s |`);
    line(`| incremental sync and that commit's reach stored | ${millis(median(incrementalReady))} | |`);
    line(
      `| ranking: \`candidates()\` (${fmt(candidates)} commits in 3 days) + \`rankChanges\` (${fmt(suspects)} suspects), warm | ${millis(median(ranking))} | 200 ms |`,
    );
    line(`| of which \`candidates()\` (stored reach) | ${millis(median(candidatesMs))} | |`);
    line(
      `| of which \`rankChanges\` | ${millis(median(rankMs))} (${fmt(median(referenceMs) / median(rankMs), 0)}× faster than the baseline) | |`,
    );
    line(
      `| baseline: the same scores computed candidate by candidate, host by host (\`ranking.reference.ts\`) | ${millis(median(referenceMs))} | |`,
    );
    line(`| \`rankChanges\` after 20 more calls | ${millis(median(steadyMs))} | |`);
    line(
      `| ranking, first call after the sync (stored reach read from PostgreSQL) | ${millis(coldRanking)} | |`,
    );
    line(
      `| for scale: trees by \`readTree\` (commit and parent), per commit, 20 commits | ${millis(perCommitTrees)} | |`,
    );
    line(`| for scale: the same 20 commits' trees by one \`walkTrees\` | ${millis(walkTrees)} | |`);
    line('');
    line(`runs: ${firstRuns} first syncs, ${options.runs} incremental syncs and rankings; medians.`);
  } finally {
    await database.drop();
    await rm(scratch, { recursive: true, force: true });
  }
}
