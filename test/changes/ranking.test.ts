import { describe, expect, it } from 'vitest';
import type { FleetAnalysis } from '../../server/analysis/analyze-fleet.ts';
import { rankChanges, type CandidateChange, type Suspect } from '../../server/changes/ranking.ts';

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
  const list =
    onsets === null
      ? []
      : [...onsets].map(([host, onset]) => ({ host, onset, lo: onset - 2 * MINUTE, hi: onset + 2 * MINUTE }));
  const first = list.length === 0 ? 0 : Math.min(...list.map((h) => h.onset));
  return {
    from: FROM,
    to: FROM + 36 * HOUR,
    hosts_total: hosts.length,
    onset:
      onsets === null
        ? null
        : {
            ts: first,
            series: 'node_memory_SReclaimable_bytes',
            first,
            median: first,
            spread: { p10: first, p50: first, p90: first },
            window: { from: first, to: first },
            hosts_affected: list.length,
            hosts_seen: hosts.length,
            p_value: 1e-12,
            background_per_host_day: 0.01,
            hosts: list,
          },
    components: [],
    used: null,
    other: null,
    unaccounted: null,
    slab_caches: [],
    process_groups: [],
    summary: '',
    hosts: hosts.map((host) => ({ host, labels: { role: host.split('-')[0] ?? '' }, onsets: {} })),
  };
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
