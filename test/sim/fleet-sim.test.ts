import { describe, expect, it } from 'vitest';
import type { FleetData, HostData } from '../../server/analysis/analysis.models.ts';
import type { ChangeEffect, FleetScenario } from '../../server/sim/fleet-sim.ts';
import { NOISE_PRESETS, simulateFleet } from '../../server/sim/fleet-sim.ts';
import {
  changeScenario,
  DAY,
  FROM,
  hostByName,
  HOUR,
  mem,
  MiB,
  MINUTE,
  scenario,
  series,
} from './helpers.ts';

const quiet = { ...NOISE_PRESETS.none };

function sameHost(a: HostData, b: HostData): boolean {
  if (a.host !== b.host || JSON.stringify(a.labels) !== JSON.stringify(b.labels)) return false;
  if (a.series.size !== b.series.size) return false;
  for (const [key, s] of a.series) {
    const other = b.series.get(key);
    if (other === undefined || other.values.length !== s.values.length) return false;
    for (let i = 0; i < s.values.length; i++) {
      if (s.values[i] !== other.values[i] || s.ts[i] !== other.ts[i]) return false;
    }
  }
  return true;
}

function sameFleet(a: FleetData, b: FleetData): boolean {
  return a.hosts.length === b.hosts.length && a.hosts.every((h, i) => b.hosts[i] && sameHost(h, b.hosts[i]));
}

/** Index of the first sample taken (true clock) at or after t. */
function firstAtOrAfter(host: HostData, skewMs: number, t: number): number {
  const ts = series(host, mem('MemTotal')).ts;
  return ts.findIndex((x) => x - skewMs >= t);
}

/**
 * Simulates a scenario and the same scenario without its change. Everything random is drawn per host, so the
 * two must agree except where the change acts: on affected hosts from their onset on.
 */
function paired(s: FleetScenario) {
  const withChange = simulateFleet(s);
  const without = simulateFleet({ ...s, change: null });
  const change = withChange.truth.change;
  if (change === null) throw new Error('scenario has no change');
  const differences = (key: string, hours: number) =>
    withChange.fleet.hosts
      .filter((h) => change.hosts.has(h.host))
      .map((h) => {
        const base = hostByName(without.fleet, h.host);
        const skew = withChange.truth.clockSkewMs.get(h.host) ?? 0;
        const i = firstAtOrAfter(h, skew, (change.hosts.get(h.host) ?? 0) + hours * HOUR);
        return i < 0 ? undefined : (series(h, key).values[i] ?? NaN) - (series(base, key).values[i] ?? NaN);
      })
      .filter((d): d is number => d !== undefined);
  return { withChange, without, change, differences };
}

describe('determinism', () => {
  const s = changeScenario(
    { kind: 'slab-leak', slab: 'dentry', reclaimable: true, ratePerHour: 40 * MiB },
    { lag: { kind: 'highstate', intervalMs: HOUR, splayMs: 10 * MINUTE } },
    { hosts: 12, noise: { ...NOISE_PRESETS.high } },
  );

  it('gives the same fleet and truth for the same scenario', () => {
    const a = simulateFleet(s);
    const b = simulateFleet(s);
    expect(sameFleet(a.fleet, b.fleet)).toBe(true);
    expect(a.truth).toEqual(b.truth);
  });

  it('gives another fleet for another seed', () => {
    const a = simulateFleet(s);
    const b = simulateFleet({ ...s, seed: s.seed + 1 });
    expect(a.fleet.hosts.some((h, i) => b.fleet.hosts[i] && !sameHost(h, b.fleet.hosts[i]))).toBe(true);
  });
});

describe('hosts', () => {
  it('are named like minions, labelled with role and data centre, sized 2–64 GiB', () => {
    const { fleet } = simulateFleet(scenario({ hosts: 80, to: FROM + 2 * HOUR }));
    const names = new Set(fleet.hosts.map((h) => h.host));
    expect(names.size).toBe(fleet.hosts.length);
    const roles = new Set<string>();
    for (const h of fleet.hosts) {
      const match = /^([a-z]+)-\d{3}\.([a-z]+\d)\.example\.net$/.exec(h.host);
      expect(match, h.host).not.toBeNull();
      expect(h.labels).toEqual({ role: match?.[1], dc: match?.[2] });
      roles.add(h.labels.role ?? '');
      const total = series(h, mem('MemTotal')).values[0] ?? 0;
      expect(total).toBeGreaterThan(1.9 * 1024 * MiB);
      expect(total).toBeLessThanOrEqual(64 * 1024 * MiB);
    }
    expect(roles.size).toBeGreaterThanOrEqual(5);
  });
});

describe('the truth matches the series', () => {
  it('a reclaimable slab leak grows SReclaimable and dentry from each onset, not before; MemAvailable barely moves', () => {
    const rate = 40 * MiB;
    const { withChange, without, change, differences } = paired(
      changeScenario(
        { kind: 'slab-leak', slab: 'dentry', reclaimable: true, ratePerHour: rate },
        { lag: { kind: 'highstate', intervalMs: HOUR, splayMs: 10 * MINUTE } },
        { seed: 21 },
      ),
    );
    expect(change.component).toBe('node_memory_SReclaimable_bytes');
    expect(change.slab).toBe('dentry');
    expect(change.hosts.size).toBeGreaterThan(20);
    for (const h of withChange.fleet.hosts) {
      const base = hostByName(without.fleet, h.host);
      const onset = change.hosts.get(h.host);
      if (onset === undefined) {
        expect(sameHost(h, base), `${h.host} is not affected`).toBe(true);
        continue;
      }
      const skew = withChange.truth.clockSkewMs.get(h.host) ?? 0;
      const i = firstAtOrAfter(h, skew, onset);
      const before = (key: string) => series(h, key).values.slice(0, i);
      for (const key of h.series.keys()) {
        expect(before(key), `${h.host} ${key} before its onset`).toEqual(
          series(base, key).values.slice(0, i),
        );
      }
    }
    // Two hours in: about 80 MiB more reclaimable slab (rates vary by host), held by the dentry cache.
    const grown = differences(mem('SReclaimable'), 2);
    expect(grown.length).toBeGreaterThan(20);
    for (const d of grown) expect(d).toBeGreaterThan(0.2 * 2 * rate);
    for (const d of differences('node_slabinfo_objects{slab="dentry"}', 2))
      expect(d).toBeGreaterThan((0.2 * 2 * rate) / 192);
    const free = differences(mem('MemFree'), 2);
    const available = differences(mem('MemAvailable'), 2);
    grown.forEach((d, k) => {
      expect(free[k]).toBeLessThan(-0.5 * d);
      expect(Math.abs(available[k] ?? NaN)).toBeLessThan(0.1 * d + 16 * MiB);
    });
  });

  it('a process leak grows the group and AnonPages', () => {
    const { differences, change } = paired(
      changeScenario({ kind: 'process-leak', group: 'salt-minion', ratePerHour: 30 * MiB }, {}, { seed: 22 }),
    );
    expect(change.component).toBe('node_memory_AnonPages_bytes');
    expect(change.group).toBe('salt-minion');
    const key = 'namedprocess_namegroup_memory_bytes{groupname="salt-minion",memtype="resident"}';
    for (const d of differences(key, 2)) expect(d).toBeGreaterThan(0.2 * 60 * MiB);
    for (const d of differences(mem('AnonPages'), 2)) expect(d).toBeGreaterThan(0.2 * 60 * MiB);
    for (const d of differences(mem('SReclaimable'), 2)) expect(d).toBeLessThanOrEqual(0);
  });

  it('page-cache growth grows Cached', () => {
    const { differences, change } = paired(
      changeScenario({ kind: 'page-cache', ratePerHour: 100 * MiB }, {}, { seed: 23 }),
    );
    expect(change.component).toBe('node_memory_Cached_bytes');
    const grown = differences(mem('Cached'), 1);
    expect(grown.length).toBeGreaterThan(20);
    for (const d of grown) expect(d).toBeGreaterThan(0.2 * 100 * MiB);
  });

  it('a step lands whole at the onset', () => {
    const bytes = 300 * MiB;
    const { differences, change } = paired(
      changeScenario({ kind: 'step', component: 'process', bytes }, {}, { seed: 24, noise: quiet }),
    );
    expect(change.group).toBe('salt-minion');
    const jumps = differences(mem('AnonPages'), 0);
    expect(jumps.length).toBeGreaterThan(20);
    for (const d of jumps) {
      expect(d).toBeGreaterThan(0.3 * bytes);
      expect(d).toBeLessThan(3 * bytes);
    }
  });

  it('a leak of a cache the catalog lacks adds its series to every host', () => {
    const effect: ChangeEffect = {
      kind: 'slab-leak',
      slab: 'nss_cache',
      reclaimable: false,
      ratePerHour: 20 * MiB,
    };
    const { withChange, change, differences } = paired(changeScenario(effect, {}, { seed: 25, hosts: 10 }));
    expect(change.component).toBe('node_memory_SUnreclaim_bytes');
    for (const h of withChange.fleet.hosts)
      expect(h.series.has('node_slabinfo_objects{slab="nss_cache"}')).toBe(true);
    for (const d of differences(mem('SUnreclaim'), 2)) expect(d).toBeGreaterThan(0.2 * 40 * MiB);
  });
});

describe('fleets without a site-wide change', () => {
  it('have no change in the truth, and their local leaks show only on their hosts, from their onset', () => {
    const s = scenario({ hosts: 60, seed: 31, noise: { ...NOISE_PRESETS.medium, localLeaks: 1 } });
    const leaky = simulateFleet(s);
    const clean = simulateFleet({ ...s, noise: { ...s.noise, localLeaks: 0 } });
    expect(leaky.truth.change).toBeNull();
    expect(clean.truth.localLeaks.size).toBe(0);
    expect(leaky.truth.localLeaks.size).toBeGreaterThan(0);
    let grew = 0;
    for (const h of leaky.fleet.hosts) {
      const base = hostByName(clean.fleet, h.host);
      const onset = leaky.truth.localLeaks.get(h.host);
      if (onset === undefined) {
        expect(sameHost(h, base), h.host).toBe(true);
        continue;
      }
      const i = firstAtOrAfter(h, leaky.truth.clockSkewMs.get(h.host) ?? 0, onset);
      const used = (x: HostData, k: number) =>
        (series(x, mem('MemTotal')).values[k] ?? 0) - (series(x, mem('MemFree')).values[k] ?? 0);
      for (let k = 0; k < i; k++) expect(used(h, k)).toBe(used(base, k));
      const last = series(h, mem('MemTotal')).values.length - 1;
      if (i >= 0 && used(h, last) !== used(base, last)) grew++;
    }
    expect(grew).toBeGreaterThan(0);
  });
});

describe('sampling', () => {
  it('without offline periods, churn or skew, every host has every sample, one step apart', () => {
    const { fleet, truth } = simulateFleet(scenario({ hosts: 10, noise: quiet }));
    for (const h of fleet.hosts) {
      const ts = series(h, mem('MemTotal')).ts;
      expect(ts.length).toBe(1440);
      expect(ts[0]).toBeGreaterThanOrEqual(FROM);
      expect(ts[0]).toBeLessThan(FROM + MINUTE);
      for (let i = 1; i < ts.length; i++) expect((ts[i] ?? 0) - (ts[i - 1] ?? 0)).toBe(MINUTE);
      expect(truth.clockSkewMs.get(h.host)).toBe(0);
    }
  });

  it('clock skew shifts the timestamps, not the values', () => {
    const s = scenario({ hosts: 20, noise: { ...quiet, clockSkewMs: 4 * MINUTE } });
    const skewed = simulateFleet(s);
    const straight = simulateFleet({ ...s, noise: quiet });
    let shifted = 0;
    for (const h of skewed.fleet.hosts) {
      const skew = skewed.truth.clockSkewMs.get(h.host) ?? NaN;
      expect(Math.abs(skew)).toBeLessThanOrEqual(4 * MINUTE);
      if (Math.abs(skew) > 30_000) shifted++;
      const base = series(hostByName(straight.fleet, h.host), mem('MemFree'));
      const own = series(h, mem('MemFree'));
      for (let i = 0; i < own.ts.length; i++) {
        expect(own.ts[i]).toBeGreaterThanOrEqual(FROM);
        expect(own.ts[i]).toBeLessThan(s.to);
        const k = base.ts.indexOf((own.ts[i] ?? 0) - skew);
        expect(k, `${h.host} sample ${i} at its true time`).toBeGreaterThanOrEqual(0);
        expect(own.values[i]).toBe(base.values[k]);
      }
    }
    expect(shifted).toBeGreaterThan(10);
  });

  it('offline periods leave gaps', () => {
    const { fleet } = simulateFleet(scenario({ hosts: 40, seed: 41, noise: { ...quiet, offline: 1 } }));
    const longestGap = (h: HostData) => {
      const ts = series(h, mem('MemTotal')).ts;
      let gap = 0;
      for (let i = 1; i < ts.length; i++) gap = Math.max(gap, (ts[i] ?? 0) - (ts[i - 1] ?? 0));
      return gap;
    };
    const gaps = fleet.hosts.map(longestGap);
    expect(gaps.filter((g) => g >= 5 * MINUTE).length).toBeGreaterThan(2);
    // Most hosts only miss a sample now and then.
    expect(gaps.filter((g) => g <= 3 * MINUTE).length).toBeGreaterThan(20);
  });

  it('churn makes hosts join late or leave early', () => {
    const { fleet } = simulateFleet(scenario({ hosts: 60, seed: 42, noise: { ...quiet, churn: 1 } }));
    const spans = fleet.hosts.map((h) => series(h, mem('MemTotal')).ts);
    expect(spans.filter((ts) => (ts[0] ?? 0) > FROM + HOUR).length).toBeGreaterThan(0);
    expect(spans.filter((ts) => (ts[ts.length - 1] ?? 0) < FROM + DAY - HOUR).length).toBeGreaterThan(0);
  });

  it('keeps only the series asked for', () => {
    const keep = (key: string) => key === mem('MemFree');
    const { fleet } = simulateFleet(scenario({ hosts: 5 }), { keep });
    for (const h of fleet.hosts) expect([...h.series.keys()]).toEqual([mem('MemFree')]);
  });
});

describe('applying the change', () => {
  const at = FROM + 6 * HOUR;
  const effect: ChangeEffect = { kind: 'page-cache', ratePerHour: 50 * MiB };
  const onsets = (s: FleetScenario) => {
    const { truth } = simulateFleet(s, { keep: () => false });
    return truth.change?.hosts ?? new Map<string, number>();
  };

  it('a push reaches hosts within its spread', () => {
    const hosts = onsets(
      changeScenario(effect, { at, lag: { kind: 'push', spreadMs: 5 * MINUTE } }, { hosts: 100 }),
    );
    for (const t of hosts.values()) {
      expect(t).toBeGreaterThanOrEqual(at);
      expect(t).toBeLessThanOrEqual(at + 5 * MINUTE);
    }
  });

  it('cron applies at each host’s next tick', () => {
    const every = 15 * MINUTE;
    const hosts = onsets(
      changeScenario(effect, { at, lag: { kind: 'cron', everyMs: every } }, { hosts: 100 }),
    );
    const values = [...hosts.values()];
    for (const t of values) {
      expect(t).toBeGreaterThanOrEqual(at);
      expect(t).toBeLessThan(at + every);
    }
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(every / 2);
  });

  it('a highstate schedule applies at each host’s next run plus splay', () => {
    const lag = { kind: 'highstate', intervalMs: HOUR, splayMs: 10 * MINUTE } as const;
    const hosts = onsets(
      changeScenario(effect, { at, lag }, { hosts: 100, noise: { ...NOISE_PRESETS.medium, churn: 0 } }),
    );
    for (const t of hosts.values()) {
      expect(t).toBeGreaterThanOrEqual(at);
      expect(t).toBeLessThanOrEqual(at + HOUR + 10 * MINUTE);
    }
  });

  it('leaves about one targeted host in twenty untouched', () => {
    const s = changeScenario(effect, { at }, { hosts: 200, noise: quiet });
    expect(onsets(s).size / 200).toBeGreaterThan(0.88);
    expect(onsets(s).size).toBeLessThan(200);
    expect(onsets({ ...s, change: s.change && { ...s.change, unaffectedShare: 0 } }).size).toBe(200);
  });

  it('targets roles and fractions', () => {
    const s = changeScenario(
      effect,
      { at, target: { kind: 'roles', roles: ['web', 'mail'] } },
      { hosts: 100 },
    );
    const { fleet, truth } = simulateFleet(s, { keep: () => false });
    const targeted = fleet.hosts.filter((h) => ['web', 'mail'].includes(h.labels.role ?? ''));
    for (const host of truth.change?.hosts.keys() ?? []) expect(host).toMatch(/^(web|mail)-/);
    expect(truth.change?.hosts.size).toBeGreaterThan(0.8 * targeted.length);
    const half = onsets(
      changeScenario(effect, { at, target: { kind: 'fraction', fraction: 0.5 } }, { hosts: 100 }),
    );
    expect(half.size).toBeGreaterThanOrEqual(40);
    expect(half.size).toBeLessThanOrEqual(50);
  });

  it('a process leak reaches only hosts that run the group', () => {
    const hosts = onsets(
      changeScenario({ kind: 'process-leak', group: 'nginx', ratePerHour: 10 * MiB }, { at }, { hosts: 60 }),
    );
    expect(hosts.size).toBeGreaterThan(0);
    for (const host of hosts.keys()) expect(host).toMatch(/^web-/);
  });

  it('hosts provisioned after the change get it minutes after they start', () => {
    const s = changeScenario(
      effect,
      { at: FROM + 2 * HOUR },
      { hosts: 150, seed: 43, noise: { ...quiet, churn: 1 } },
    );
    const { fleet, truth } = simulateFleet(s);
    const joined = truth.change?.joinedAfterChange ?? new Set<string>();
    expect(joined.size).toBeGreaterThan(0);
    for (const name of joined) {
      const first = series(hostByName(fleet, name), mem('MemTotal')).ts[0] ?? NaN;
      const onset = truth.change?.hosts.get(name) ?? NaN;
      expect(onset - first).toBeGreaterThan(0);
      expect(onset - first).toBeLessThan(10 * MINUTE);
    }
  });
});
