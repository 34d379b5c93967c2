import { describe, expect, it } from 'vitest';
import type { FleetAnalysis } from '../../server/analysis/analyze-fleet.ts';
import {
  rankChanges,
  scoreChanges,
  type CandidateChange,
  type ChangeScores,
  type RankInput,
  type Suspect,
} from '../../server/changes/ranking.ts';
import { logSumExp, RANKING_MODEL, windowEnd, windowStart } from '../../server/changes/ranking.model.ts';
import { onsetAnalysis } from '../../server/sim/onset-analysis.ts';
import { createRng, type Rng } from '../../server/sim/prng.ts';
import { referenceScores } from '../../server/changes/ranking.reference.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const FROM = Date.UTC(2017, 5, 25, 16);
const FIRST = Date.UTC(2017, 5, 26, 6, 51);

/** 64 web hosts and 56 others: the web hosts changed within an hour of FIRST, as a highstate would. */
const WEB = Array.from({ length: 64 }, (_, i) => `web-${String(i + 1).padStart(3, '0')}`);
const DB = Array.from({ length: 30 }, (_, i) => `db-${String(i + 1).padStart(3, '0')}`);
const MAIL = Array.from({ length: 26 }, (_, i) => `mail-${String(i + 1).padStart(3, '0')}`);
const ALL = [...WEB, ...DB, ...MAIL];

/** Evenly spread over [FIRST, FIRST + spread], in a scrambled order. */
function spreadOnsets(hosts: readonly string[], spread = HOUR): Map<string, number> {
  const n = hosts.length;
  return new Map(
    hosts.map((h, i) => [h, FIRST + Math.round((((i * 37) % n) / Math.max(1, n - 1)) * spread)]),
  );
}

function analysis(onsets: Map<string, number> | null, hosts: readonly string[] = ALL): FleetAnalysis {
  return onsetAnalysis({
    from: FROM,
    to: FROM + 36 * HOUR,
    hosts: hosts.map((host) => ({ host, labels: { role: host.split('-')[0] ?? '' } })),
    onsets,
  });
}

let counter = 0;
function change(overrides: Partial<CandidateChange> & { hosts?: readonly string[] } = {}): CandidateChange {
  const { hosts = WEB, ...rest } = overrides;
  counter++;
  return {
    id: `c${String(counter).padStart(39, '0')}`,
    kind: 'commit',
    landedAt: FIRST - 2 * MINUTE,
    subject: `change ${counter}`,
    files: [{ path: 'salt/nginx/init.sls', additions: 3, deletions: 1 }],
    reach: { hosts: new Set(hosts), approximate: false, reasons: [] },
    ...rest,
  };
}

const rankOf = (suspects: Suspect[], c: CandidateChange): number => suspects.findIndex((s) => s.id === c.id);

describe('rankChanges', () => {
  it('gives no suspects when there is no onset', () => {
    expect(rankChanges({ analysis: analysis(null), candidates: [change()] })).toEqual([]);
  });

  it('ranks the change that reaches exactly the affected hosts first, with its numbers', () => {
    const culprit = change({
      subject: 'fleet_api grain: talk to inventory over https',
      files: [{ path: 'salt/_grains/fleet_api.py', additions: 4, deletions: 2 }],
    });
    const suspects = rankChanges({ analysis: analysis(spreadOnsets(WEB)), candidates: [culprit] });
    expect(suspects).toHaveLength(1);
    const [top] = suspects;
    expect(top?.id).toBe(culprit.id);
    expect(top?.score).toBeGreaterThan(0.9);
    expect(top?.score).toBeLessThanOrEqual(1);
    expect(top?.evidence).toMatchObject({
      lag_ms: 2 * MINUTE,
      hosts_reached: 64,
      affected_reached: 64,
      affected_total: 64,
      unreached_changed: 0,
      unreached_total: 56,
      explained_hosts: 64,
      timing_violations: 0,
    });
    expect(top?.reasons).toContain('64 of 64 affected hosts reached; 0 of 56 unreached hosts changed');
    expect(top?.reasons.join('\n')).toMatch(/landed 2 min before the first onset/);
    expect(top?.reasons.join('\n')).toMatch(/reaches 64 of 120 hosts through salt\/_grains\/fleet_api\.py/);
  });

  it('rules out a change that landed after hosts it reaches had already changed', () => {
    const onsets = spreadOnsets(WEB);
    const before = change({ landedAt: FIRST - 20 * MINUTE });
    const after = change({ landedAt: FIRST + 30 * MINUTE });
    const suspects = rankChanges({ analysis: analysis(onsets), candidates: [after, before] });
    expect(suspects[0]?.id).toBe(before.id);
    const late = rankChanges({ analysis: analysis(onsets), candidates: [after] });
    // Alone it still cannot explain the hosts that began before it: "none of these" wins.
    expect(late.length === 0 || (late[0]?.score ?? 1) < 0.05).toBe(true);
    const lateOnly = rankChanges({
      analysis: analysis(onsets),
      candidates: [{ ...after, id: 'f'.repeat(40) }, before],
    });
    const evidence = lateOnly.find((s) => s.id === 'f'.repeat(40))?.evidence;
    if (evidence) expect(evidence.timing_violations).toBeGreaterThan(25);
  });

  it('keeps the change first when a host it does not reach was counted in its window', () => {
    // The fleet step counts hosts by their onset in the cluster's window: a mail host whose onset falls there
    // by chance is unrelated, and as likely anywhere in that window, not anywhere in the analysis.
    const onsets = spreadOnsets(WEB);
    onsets.set(MAIL[2] as string, FIRST + 20 * MINUTE);
    const culprit = change();
    const everywhere = change({ hosts: ALL, landedAt: FIRST - 5 * HOUR });
    const suspects = rankChanges({ analysis: analysis(onsets), candidates: [everywhere, culprit] });
    expect(suspects[0]?.id).toBe(culprit.id);
    expect(suspects[0]?.evidence).toMatchObject({ affected_reached: 64, unreached_changed: 1 });
  });

  it('weighs hosts seen only through a related series as the less certain evidence they are', () => {
    // Three mail hosts counted through a related series (used memory, say) in the web change's window. On
    // the tune fleets a quarter of such hosts are ones the change did not reach: they stay out of who
    // changed, and in time are as often unrelated.
    const onsets = spreadOnsets(WEB);
    const seenElsewhere = MAIL.slice(0, 3);
    seenElsewhere.forEach((h, i) => onsets.set(h, FIRST + (10 + 5 * i) * MINUTE));
    const input = analysis(onsets);
    for (const h of input.onset!.hosts) h.dating = seenElsewhere.includes(h.host) ? 'related' : 'bend';
    const culprit = change();
    const suspects = rankChanges({ analysis: input, candidates: [culprit] });
    expect(suspects[0]?.id).toBe(culprit.id);
    expect(suspects[0]?.evidence).toMatchObject({ affected_reached: 64, unreached_changed: 3 });
    // Seen on the cluster's own series, the same three hosts would leave the web change under the floor.
    for (const h of input.onset!.hosts) h.dating = 'bend';
    expect(rankChanges({ analysis: input, candidates: [culprit] })).toEqual([]);
  });

  it('counts the clock skew before calling an early onset a violation', () => {
    const onsets = spreadOnsets(WEB);
    const slightlyLate = change({ landedAt: FIRST + 3 * MINUTE });
    const [top] = rankChanges({ analysis: analysis(onsets), candidates: [slightlyLate] });
    expect(top?.evidence.timing_violations).toBe(0);
    expect(top?.score).toBeGreaterThan(0.5);
  });

  it('prefers the exact scope over a wider and a narrower one, both ways of the table', () => {
    const onsets = spreadOnsets(WEB);
    const exact = change();
    const wider = change({ hosts: ALL });
    const narrower = change({ hosts: WEB.slice(0, 32) });
    const suspects = rankChanges({ analysis: analysis(onsets), candidates: [wider, narrower, exact] });
    expect(suspects[0]?.id).toBe(exact.id);
    expect(suspects[0]?.score).toBeGreaterThan(0.95);
    const alone = (c: CandidateChange) =>
      rankChanges({
        analysis: analysis(onsets),
        candidates: [c],
        minScore: 0,
        minLog10BayesFactor: -Infinity,
      })[0];
    const w = alone(wider);
    const n = alone(narrower);
    // Wider: every affected host reached, but 56 reached hosts stayed flat.
    expect(w?.evidence).toMatchObject({ affected_reached: 64, hosts_reached: 120, unreached_total: 0 });
    // Narrower: 32 affected hosts it cannot reach changed anyway.
    expect(n?.evidence).toMatchObject({ affected_reached: 32, unreached_changed: 32, unreached_total: 88 });
    // Narrower cannot explain the web hosts it misses: not a suspect. Wider may: a change reaching every
    // host can show on one role only, so it is weaker evidence, not none.
    expect(n?.score).toBeLessThan(0.01);
    expect(n?.evidence.scope_log10_bf).toBeLessThan(-5);
    expect(w?.evidence.scope_log10_bf).toBeLessThan(suspects[0]?.evidence.scope_log10_bf ?? 0);
  });

  it('puts a decoy close in time in another role below the culprit', () => {
    const onsets = spreadOnsets(WEB);
    const culprit = change({ landedAt: FIRST - 25 * MINUTE });
    const decoy = change({
      hosts: DB,
      landedAt: FIRST - 1 * MINUTE,
      files: [{ path: 'salt/postgres/init.sls', additions: 40, deletions: 10 }],
    });
    const suspects = rankChanges({ analysis: analysis(onsets), candidates: [decoy, culprit] });
    expect(suspects[0]?.id).toBe(culprit.id);
    expect(rankOf(suspects, decoy)).not.toBe(0);
  });

  it('never ranks a change that reaches no host, such as a docs-only commit', () => {
    const onsets = spreadOnsets(WEB);
    const docs = change({
      hosts: [],
      landedAt: FIRST - MINUTE,
      files: [{ path: 'docs/runbook.md', additions: 200, deletions: 0 }],
    });
    const culprit = change({ landedAt: FIRST - 20 * MINUTE });
    expect(rankChanges({ analysis: analysis(onsets), candidates: [docs] })).toEqual([]);
    const suspects = rankChanges({ analysis: analysis(onsets), candidates: [docs, culprit] });
    expect(suspects.map((s) => s.id)).toEqual([culprit.id]);
  });

  it('a change reaching no affected host never ranks above one reaching them', () => {
    const onsets = spreadOnsets(WEB);
    const culprit = change({ landedAt: FIRST - 2 * DAY });
    const elsewhere = change({ hosts: DB, landedAt: FIRST - MINUTE });
    const suspects = rankChanges({
      analysis: analysis(onsets),
      candidates: [elsewhere, culprit],
      minScore: 0,
      minLog10BayesFactor: -Infinity,
    });
    expect(suspects[0]?.id).toBe(culprit.id);
    expect(rankOf(suspects, elsewhere)).toBe(-1);
  });

  it('treats an approximate reach as possibly too wide, and says so', () => {
    const onsets = spreadOnsets(WEB);
    // Reaches the web role and, perhaps, a third of the db hosts.
    const wide = [...WEB, ...DB.slice(0, 10)];
    const sound = change({ hosts: wide });
    const approximate = change({
      hosts: wide,
      reach: { hosts: new Set(wide), approximate: true, reasons: [] },
    });
    const both = rankChanges({ analysis: analysis(onsets), candidates: [sound, approximate], minScore: 0 });
    const of = (c: CandidateChange) => both.find((s) => s.id === c.id);
    expect(of(approximate)?.evidence.scope_log10_bf).toBeGreaterThan(of(sound)?.evidence.scope_log10_bf ?? 0);
    expect(of(approximate)?.evidence.reach_approximate).toBe(true);
    expect(of(approximate)?.reasons.join('\n')).toMatch(/approximate/);
    // It does not beat a sound reach that matches.
    const exact = change();
    const again = rankChanges({ analysis: analysis(onsets), candidates: [approximate, exact] });
    expect(again[0]?.id).toBe(exact.id);
  });

  it('does not suspect a revert that lands after the onset, and cites it for the reverted change', () => {
    const onsets = spreadOnsets(WEB);
    const culprit = change();
    const revert = change({
      landedAt: FIRST + 5 * HOUR,
      subject: `Revert "${culprit.subject}"`,
      revertOf: culprit.id,
    });
    const suspects = rankChanges({ analysis: analysis(onsets), candidates: [culprit, revert] });
    expect(suspects.map((s) => s.id)).toEqual([culprit.id]);
    expect(suspects[0]?.evidence.reverted_by).toBe(revert.id);
    expect(suspects[0]?.reasons.join('\n')).toMatch(/reverted by \S+ 5 h after the first onset/);
  });

  it('scores identical candidates equally and orders them deterministically', () => {
    const onsets = spreadOnsets(WEB);
    const a = change({ id: 'a'.repeat(40) });
    const b = change({ id: 'b'.repeat(40) });
    const one = rankChanges({ analysis: analysis(onsets), candidates: [b, a] });
    const two = rankChanges({ analysis: analysis(onsets), candidates: [a, b] });
    expect(one.map((s) => s.id)).toEqual([a.id, b.id]);
    expect(two.map((s) => s.id)).toEqual([a.id, b.id]);
    expect(one[0]?.score).toBe(one[1]?.score);
    expect(one[0]?.score).toBeLessThanOrEqual(0.5);
  });

  it('prefers the change that landed just before the onsets over one with the same reach hours earlier', () => {
    const onsets = spreadOnsets(WEB);
    const recent = change({ landedAt: FIRST - 2 * MINUTE });
    const older = change({ landedAt: FIRST - 6 * HOUR });
    const suspects = rankChanges({ analysis: analysis(onsets), candidates: [older, recent] });
    expect(suspects[0]?.id).toBe(recent.id);
  });

  it('learns a longer lag from confirmed incidents: a slow leak that shows hours later', () => {
    const onsets = spreadOnsets(WEB);
    const slow = change({ landedAt: FIRST - 4 * HOUR });
    const recent = change({ landedAt: FIRST - 15 * MINUTE });
    const plain = rankChanges({ analysis: analysis(onsets), candidates: [slow, recent] });
    const learned = rankChanges({
      analysis: analysis(onsets),
      candidates: [slow, recent],
      confirmedLags: [3 * HOUR, 4 * HOUR, 5 * HOUR, 4 * HOUR, 3.5 * HOUR, 4.5 * HOUR],
    });
    const score = (list: Suspect[]) => list.find((s) => s.id === slow.id)?.score ?? 0;
    expect(score(learned)).toBeGreaterThan(2 * score(plain));
  });

  it('uses per-host apply times of a change event', () => {
    const onsets = spreadOnsets(WEB, 3 * HOUR);
    const appliedAt = new Map([...onsets].map(([h, t]) => [h, t - 3 * MINUTE]));
    const event = change({
      id: 'pkg-upgrade-nss',
      kind: 'event',
      landedAt: FIRST - 3 * MINUTE,
      files: [],
      appliedAt,
    });
    const commit = change({ landedAt: FIRST - 30 * MINUTE });
    const suspects = rankChanges({ analysis: analysis(onsets), candidates: [commit, event] });
    expect(suspects[0]?.id).toBe(event.id);
    expect(suspects[0]?.kind).toBe('event');
  });

  it('keeps the scores a distribution over the candidates and "none of these"', () => {
    const onsets = spreadOnsets(WEB);
    const candidates = [
      change(),
      change({ hosts: ALL }),
      change({ landedAt: FIRST - HOUR }),
      change({ hosts: MAIL }),
    ];
    const total = rankChanges({ analysis: analysis(onsets), candidates }).reduce((n, s) => n + s.score, 0);
    expect(total).toBeLessThanOrEqual(1.0001);
  });

  it('finds nothing when the affected hosts match no candidate', () => {
    // Onsets scattered over a day on hosts of every role: no change explains them better than chance.
    const scattered = new Map(
      [WEB[3], DB[5], MAIL[7], WEB[40], DB[20]].map((h, i) => [h as string, FIRST + i * 5 * HOUR]),
    );
    const candidates = [change(), change({ hosts: DB }), change({ hosts: ALL, landedAt: FIRST - 10 * HOUR })];
    const suspects = rankChanges({ analysis: analysis(scattered), candidates });
    expect(suspects).toEqual([]);
  });
});

/**
 * A random fleet and candidates: roles (sometimes more than the unions are built for, sometimes a host
 * with two), data centres, sometimes a rack label with many values; onsets clustered or scattered, some on
 * the same minute, with errors from a minute to most of an hour; candidates reaching a role, the hosts that
 * changed, every host, a random part, hosts outside the fleet or none, some approximate, some sharing a
 * reach, change events with per-host apply times, and reverts.
 */
function randomInput(rng: Rng): RankInput {
  const roleNames = ['web', 'db', 'app', 'mail', 'cache', 'lb', 'ops', 'worker', 'queue', 'proxy'];
  const roles = roleNames.slice(0, rng.int(1, roleNames.length));
  const dcs = ['ams1', 'fra1', 'lon1', 'nyc1'].slice(0, rng.int(1, 4));
  const racks = rng.chance(0.3) ? rng.int(9, 45) : 0;
  const byRole = !rng.chance(0.15);
  const hosts = Array.from({ length: rng.int(8, 140) }, (_, i) => {
    const role = rng.pick(roles);
    const labels: Record<string, string> = {};
    if (byRole) labels.role = rng.chance(0.08) ? `${role}, ${rng.pick(roles)}` : role;
    if (!rng.chance(0.05)) labels.dc = rng.pick(dcs);
    if (racks > 0) labels.rack = `r${rng.int(1, racks)}`;
    return { host: `${role}-${String(i).padStart(3, '0')}`, labels };
  });
  const from = FROM;
  const to = from + rng.pick([6 * HOUR, DAY, 2 * DAY, 3 * DAY]);
  const start = from + rng.uniform(0.2, 0.7) * (to - from);
  const spread = rng.pick([5 * MINUTE, HOUR, 6 * HOUR]);
  const slot = rng.chance(0.3) ? 5 * MINUTE : 1;
  const targetRoles = new Set(roles.filter(() => rng.chance(0.4)));
  const share = rng.uniform(0.3, 1);
  const onsets = new Map<string, number>();
  for (const h of hosts) {
    const targeted = targetRoles.has(h.host.split('-')[0] ?? '');
    if (targeted ? rng.chance(share) : rng.chance(0.03)) {
      const at = rng.chance(0.9) ? start + rng.uniform(0, spread) : rng.uniform(from, to);
      onsets.set(h.host, Math.round(at / slot) * slot);
    }
  }
  if (rng.chance(0.2)) onsets.set('gone-001', start + rng.uniform(0, spread));
  const errors = new Map(
    [...onsets.keys()].map((h) => [h, rng.pick([MINUTE, 2 * MINUTE, 10 * MINUTE, 45 * MINUTE])]),
  );
  const analysis = onsetAnalysis({
    from,
    to,
    hosts,
    onsets,
    onsetErrorMs: (h) => errors.get(h) ?? 2 * MINUTE,
  });

  const names = hosts.map((h) => h.host);
  const reaches: string[][] = [
    names.filter((h) => targetRoles.has(h.split('-')[0] ?? '')),
    [...onsets.keys()],
    names,
    names.filter(() => rng.chance(0.5)),
    names.filter((h) => h.startsWith(rng.pick(roles))),
    [],
    ['elsewhere-001', ...names.slice(0, rng.int(0, 5))],
  ];
  const candidates: CandidateChange[] = [];
  for (let i = 0, count = rng.int(1, 14); i < count; i++) {
    const reach = rng.pick(reaches);
    const landedAt = start - (rng.chance(0.8) ? rng.exponential(2 * HOUR) : -rng.uniform(0, 3 * HOUR));
    const candidate: CandidateChange = {
      id: `${rng.chance(0.5) ? 'a' : 'b'}${String(i).padStart(39, '0')}`,
      kind: 'commit',
      landedAt,
      subject: `change ${i}`,
      files: [
        {
          path: rng.pick(['salt/_grains/fleet.py', 'salt/nginx/init.sls', 'pillar/db.sls', 'docs/x.md']),
          additions: rng.chance(0.1) ? null : rng.int(0, 300),
          deletions: rng.int(0, 50),
        },
      ],
      reach: { hosts: new Set(reach), approximate: rng.chance(0.25), reasons: [] },
    };
    if (rng.chance(0.15)) {
      candidate.kind = 'event';
      candidate.appliedAt = new Map(
        reach.filter(() => rng.chance(0.7)).map((h) => [h, landedAt + rng.uniform(0, 2 * HOUR)]),
      );
    }
    candidates.push(candidate);
  }
  const reverted = candidates[0];
  if (reverted && rng.chance(0.3)) {
    candidates.push({
      ...reverted,
      id: `c${'0'.repeat(39)}`,
      landedAt: start + spread + rng.uniform(HOUR, 5 * HOUR),
      revertOf: reverted.id,
    });
  }
  // Some hosts seen only through a related series: out of the scope's table.
  for (const h of analysis.onset?.hosts ?? []) h.dating = rng.chance(0.15) ? 'related' : 'bend';
  return {
    analysis,
    candidates,
    ...(rng.chance(0.3) ? { confirmedLags: [rng.exponential(HOUR), rng.exponential(3 * HOUR)] } : {}),
    ...(rng.chance(0.3) ? { clockSkewMs: rng.pick([MINUTE, 20 * MINUTE]) } : {}),
  };
}

/** Suspects as `rankChanges` picks them, from the reference's unrounded scores. */
function referenceRanking(input: RankInput, scores: ChangeScores): { id: string; score: number }[] {
  const m = RANKING_MODEL;
  const logZ = logSumExp([scores.none.logPost, ...scores.changes.map((c) => c.logPost)]);
  const landed = new Map(input.candidates.map((c) => [c.id, c.landedAt]));
  return scores.changes
    .map((c) => ({ c, score: Math.exp(c.logPost - logZ) }))
    .filter(
      ({ c, score }) =>
        score >= m.minScore &&
        (c.logTiming - scores.none.logTiming + c.logScope - scores.none.logScope) / Math.LN10 >=
          m.minLog10BayesFactor,
    )
    .sort(
      (x, y) =>
        y.score - x.score ||
        (landed.get(y.c.id) ?? 0) - (landed.get(x.c.id) ?? 0) ||
        (x.c.id < y.c.id ? -1 : x.c.id > y.c.id ? 1 : 0),
    )
    .slice(0, m.maxSuspects)
    .map(({ c, score }) => ({ id: c.id, score }));
}

describe('rankChanges against a straightforward reference', () => {
  const close = (actual: number, expected: number): void => {
    if (actual === expected) return;
    expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
  };

  it('gives the same scores, counts and order on random fleets', () => {
    let ranked = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const input = randomInput(createRng(seed));
      const fast = scoreChanges(input);
      const reference = referenceScores(input);
      if (reference === null || fast === null) {
        expect(fast).toBe(reference);
        continue;
      }
      close(fast.none.logTiming, reference.none.logTiming);
      close(fast.none.logScope, reference.none.logScope);
      expect(fast.changes.map((c) => c.id)).toEqual(reference.changes.map((c) => c.id));
      fast.changes.forEach((c, i) => {
        const r = reference.changes[i] as ChangeScores['changes'][number];
        close(c.logPrior, r.logPrior);
        close(c.logTiming, r.logTiming);
        close(c.logScope, r.logScope);
        close(c.logPost, r.logPost);
        expect({ counts: c.counts, violations: c.violations, revertedBy: c.revertedBy }).toEqual({
          counts: r.counts,
          violations: r.violations,
          revertedBy: r.revertedBy,
        });
      });
      const suspects = rankChanges(input);
      const expected = referenceRanking(input, reference);
      expect(suspects.map((s) => s.id)).toEqual(expected.map((s) => s.id));
      suspects.forEach((s, i) => expect(s.score).toBeCloseTo(expected[i]?.score ?? NaN, 4));
      ranked += suspects.length > 0 ? 1 : 0;
    }
    // The fleets exercise the ranking, not only its early exits.
    expect(ranked).toBeGreaterThan(10);
  });
});

describe('windowStart', () => {
  const hosts = (dating: 'step' | 'bend' | 'related') =>
    Array.from({ length: 30 }, (_, i) => {
      const onset = FIRST + i * 2 * MINUTE;
      return { host: `h${i}`, onset, lo: onset, hi: onset, dating };
    });

  it('trusts the earliest level shifts, and the earliest bends less', () => {
    // Level shifts are dated to within minutes; a bend now and then tens of minutes early.
    expect(Math.abs(windowStart(hosts('step'), 5 * MINUTE) - FIRST)).toBeLessThanOrEqual(MINUTE);
    const bends = windowStart(hosts('bend'), 5 * MINUTE);
    expect(bends).toBeGreaterThan(FIRST + MINUTE);
    expect(bends).toBeLessThanOrEqual(FIRST + 10 * MINUTE);
  });

  it('weighs the earliest onsets by the rate at which onsets happen anyway', () => {
    // Two hosts took the change in its first minute, the other 28 from ten minutes on.
    const sparse = Array.from({ length: 30 }, (_, i) => {
      const onset = FIRST + (i < 2 ? i * MINUTE : 10 * MINUTE + (i - 2) * 2 * MINUTE);
      return { host: `h${i}`, onset, lo: onset, hi: onset, dating: 'step' as const };
    });
    // Onsets are rare away from the cluster (one per host in ten days): the first two are the change's.
    const rare = windowStart(sparse, 5 * MINUTE, { perHostMs: 0.1 / DAY, hostsSeen: 40 });
    expect(Math.abs(rare - FIRST)).toBeLessThanOrEqual(MINUTE);
    // Common (ten per host a day): two early onsets are as likely chance.
    const common = windowStart(sparse, 5 * MINUTE, { perHostMs: 10 / DAY, hostsSeen: 40 });
    expect(common).toBeGreaterThan(FIRST + 10 * MINUTE);
  });
});

describe('windowEnd', () => {
  // 30 hosts over an hour; a few bends dated hours late, as a slow leak's can be.
  const last = FIRST + 58 * MINUTE;
  const spread = (late: number) =>
    Array.from({ length: 30 }, (_, i) => {
      const onset = FIRST + i * 2 * MINUTE + (i < late ? 3 * HOUR : 0);
      return {
        host: `h${i}`,
        onset,
        lo: onset,
        hi: onset,
        dating: i < late ? ('bend' as const) : ('step' as const),
      };
    });

  it('dates the last of the level shifts, and the window holds its start', () => {
    const end = windowEnd(spread(0), 5 * MINUTE);
    expect(Math.abs(end - last)).toBeLessThanOrEqual(2 * MINUTE);
    expect(windowStart(spread(0), 5 * MINUTE)).toBeLessThan(end);
  });

  it('takes a few onsets hours past the rest as chance, where onsets are common', () => {
    const end = windowEnd(spread(2), 5 * MINUTE, { perHostMs: 10 / DAY, hostsSeen: 40 });
    expect(end).toBeLessThan(last + 15 * MINUTE);
  });
});
