import { describe, expect, it } from 'vitest';
import type { FleetData, HostData, Series } from '../../server/analysis/analysis.models.ts';
import { analyzeFleet } from '../../server/analysis/analyze-fleet.ts';
import { findFleetOnset, logBinomialTail } from '../../server/analysis/fleet-onset.ts';
import { type ChangePoint, type SeriesFit, detectChanges } from '../../server/analysis/changepoint.ts';
import { type HostOnsets, growthOnsets } from '../../server/analysis/host-onset.ts';
import { HOUR, MIB, MINUTE, T0, makeSeries, normals } from './series-fixtures.ts';

const GIB = 1024 * MIB;
const DAY = 24 * HOUR;

/**
 * A host whose reclaimable slab (dentry cache) leaks from `leakAt` on, or with `into: 'other'` memory that
 * no listed component holds (a driver's, say); the rest is steady with noise.
 */
function host(
  name: string,
  seed: number,
  leakAt: number | null,
  rate = 40 * MIB,
  into: 'slab' | 'other' = 'slab',
): HostData {
  const z = normals(seed);
  const n = 2 * 24 * 60;
  const leak = (ts: number): number => (leakAt !== null && ts > leakAt ? ((ts - leakAt) / HOUR) * rate : 0);
  const slabLeak = (ts: number): number => (into === 'slab' ? leak(ts) : 0);
  const anon = makeSeries(n, () => 2 * GIB + 4 * MIB * z());
  const cached = makeSeries(n, () => 1 * GIB + 3 * MIB * z());
  const srecl = makeSeries(n, (_, ts) => 200 * MIB + 1 * MIB * z() + slabLeak(ts));
  const sunrecl = makeSeries(n, () => 80 * MIB + 0.3 * MIB * z());
  const total = makeSeries(n, () => 8 * GIB);
  const used = anon.values.map(
    (v, i) =>
      v +
      cached.values[i]! +
      srecl.values[i]! +
      sunrecl.values[i]! +
      (into === 'other' ? leak(total.ts[i]!) : 0),
  );
  const free = { ts: total.ts, values: total.values.map((t, i) => t - used[i]!) };
  const dentries = { ts: srecl.ts, values: srecl.values.map((v) => (v - 150 * MIB) / 192) };
  const dentrySize = { ts: srecl.ts, values: srecl.ts.map(() => 192) };
  return {
    host: name,
    labels: { role: 'web' },
    series: new Map([
      ['node_memory_MemTotal_bytes', total],
      ['node_memory_MemFree_bytes', free],
      ['node_memory_AnonPages_bytes', anon],
      ['node_memory_Cached_bytes', cached],
      ['node_memory_SReclaimable_bytes', srecl],
      ['node_memory_SUnreclaim_bytes', sunrecl],
      ['onset_process_resident_total_bytes', anon],
      ['node_slabinfo_objects{slab="dentry"}', dentries],
      ['node_slabinfo_object_size_bytes{slab="dentry"}', dentrySize],
    ]),
  };
}

const CHANGE = T0 + 30 * HOUR;

function fleet(affected: number, total: number, into: 'slab' | 'other' = 'slab'): FleetData {
  const hosts: HostData[] = [];
  for (let i = 0; i < total; i++) {
    const lag = (i * 7 * MINUTE) % (40 * MINUTE);
    const name = `web-${String(i).padStart(3, '0')}`;
    hosts.push(host(name, 100 + i, i < affected ? CHANGE + lag : null, 40 * MIB, into));
  }
  return { from: T0, to: T0 + 2 * DAY, hosts };
}

describe('fleet onset', () => {
  it('finds the cluster, its first host and which hosts', () => {
    const result = analyzeFleet(fleet(12, 20));
    expect(result.hosts_total).toBe(20);
    expect(result.onset).not.toBeNull();
    const onset = result.onset!;
    expect(Math.abs(onset.ts - CHANGE)).toBeLessThanOrEqual(5 * MINUTE);
    expect(onset.hosts.map((h) => h.host).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `web-${String(i).padStart(3, '0')}`),
    );
    expect(onset.hosts_affected).toBe(12);
    expect(onset.p_value).toBeLessThan(1e-6);
    expect(onset.spread.p10).toBeLessThanOrEqual(onset.spread.p50);
    expect(onset.spread.p50).toBeLessThanOrEqual(onset.spread.p90);
  });

  it('finds growth no listed component holds in what they leave of used memory', () => {
    const result = analyzeFleet(fleet(12, 20, 'other'));
    const onset = result.onset;
    expect(onset?.series).toBe('other');
    expect(result.summary).toMatch(
      /^memory outside the listed components grew about 4\d MiB\/h on 12 of 20 hosts/,
    );
    expect(onset?.hosts_affected).toBe(12);
    expect(Math.abs(onset!.ts - CHANGE)).toBeLessThanOrEqual(5 * MINUTE);
  });

  it('reports nothing when no host changed', () => {
    expect(analyzeFleet(fleet(0, 20)).onset).toBeNull();
  });

  it('does not call onsets scattered over time site-wide', () => {
    const hosts = Array.from({ length: 20 }, (_, i) =>
      host(`h${i}`, 300 + i, i < 6 ? T0 + (4 + 6 * i) * HOUR : null),
    );
    expect(analyzeFleet({ from: T0, to: T0 + 2 * DAY, hosts }).onset).toBeNull();
  });

  it('needs three hosts and one in twenty, whatever the rate', () => {
    const ev = (host: string, ts: number): HostOnsets => ({
      host,
      labels: {},
      firstTs: T0,
      lastTs: T0 + DAY,
      series: new Map([
        [
          'used',
          {
            series: { ts: new Float64Array(), values: new Float64Array() },
            fit: null,
            onsets: [
              { ts, lo: ts, hi: ts, kind: 'slope', rateBefore: 0, rateAfter: 1, jump: 0, size: 1, z: 9 },
            ],
          },
        ],
      ]),
    });
    const quiet = (host: string): HostOnsets => ({ ...ev(host, 0), series: new Map() });
    const two = [
      ev('a', T0 + HOUR),
      ev('b', T0 + HOUR + MINUTE),
      ...Array.from({ length: 30 }, (_, i) => quiet(`q${i}`)),
    ];
    expect(findFleetOnset(two, { from: T0, to: T0 + DAY }, { keys: ['used'] })).toBeNull();
    const three = [ev('c', T0 + HOUR + 2 * MINUTE), ...two];
    expect(findFleetOnset(three, { from: T0, to: T0 + DAY }, { keys: ['used'] })?.hostsAffected).toBe(3);
    // Site-wide means one host in twenty at least: the same three among 100 are a local matter.
    const many = [...three, ...Array.from({ length: 67 }, (_, i) => quiet(`r${i}`))];
    expect(many).toHaveLength(100);
    expect(findFleetOnset(many, { from: T0, to: T0 + DAY }, { keys: ['used'] })).toBeNull();
    const five = [ev('d', T0 + HOUR + 3 * MINUTE), ev('e', T0 + HOUR + 4 * MINUTE), ...many.slice(0, 98)];
    expect(findFleetOnset(five, { from: T0, to: T0 + DAY }, { keys: ['used'] })?.hostsAffected).toBe(5);
  });

  it('calls a nightly habit no change, even where last night drained and was no onset', () => {
    // Each host's backup fills the page cache at about 02:00 every night. Last night's drained by morning
    // (an upward change, no onset); tonight's has not drained yet, so it is an onset on every host.
    const up = (ts: number): ChangePoint => ({
      index: 0,
      ts,
      lo: ts,
      hi: ts,
      kind: 'level',
      rateBefore: 0,
      rateAfter: 0,
      jump: 800 * MIB,
      size: 800 * MIB,
      zSlope: 0,
      zLevel: 20,
    });
    const hosts: HostOnsets[] = Array.from({ length: 20 }, (_, i) => {
      const tonight = T0 + DAY + 2 * HOUR + i * 3 * MINUTE;
      const lastNight = tonight - DAY + ((i % 5) - 2) * 10 * MINUTE;
      const onset = { ts: tonight, lo: tonight, hi: tonight, kind: 'level' as const };
      return {
        host: `h${i}`,
        labels: {},
        firstTs: T0,
        lastTs: T0 + 2 * DAY,
        series: new Map([
          [
            'used',
            {
              series: { ts: new Float64Array(), values: new Float64Array() },
              fit: { changes: [up(lastNight), up(tonight)], segments: [], sigma: 1, rho: 0, seasonal: null },
              onsets: [{ ...onset, rateBefore: 0, rateAfter: 0, jump: 800 * MIB, size: 800 * MIB, z: 20 }],
            },
          ],
        ]),
      };
    });
    const window = { from: T0, to: T0 + 2 * DAY };
    expect(findFleetOnset(hosts, window, { keys: ['used'] })).toBeNull();
    // Without last night's changes the same onsets are a site-wide change.
    for (const h of hosts) h.series.get('used')!.fit!.changes.shift();
    expect(findFleetOnset(hosts, window, { keys: ['used'] })?.hostsAffected).toBe(20);
  });

  it("finds a process leak in its group's own series where all anonymous memory hides it", () => {
    const GROUP = 'namedprocess_namegroup_memory_bytes{groupname="salt-minion",memtype="resident"}';
    const hosts = Array.from({ length: 20 }, (_, i) => {
      const h = host(`app-${i}`, 500 + i, null);
      const leakAt = i < 12 ? CHANGE + ((i * 7 * MINUTE) % (40 * MINUTE)) : Infinity;
      const leak = (ts: number): number => Math.max(0, (ts - leakAt) / HOUR) * 15 * MIB;
      // Anonymous memory wanders by about 100 MiB (an AR(1) walk at 0.995): the leak's 270 MiB is lost in it.
      const z = normals(900 + i);
      let walk = 0;
      const anon = h.series.get('node_memory_AnonPages_bytes')!;
      const wandering = anon.values.map(
        (v, k) => v + (walk = 0.995 * walk + 10 * MIB * z()) + leak(anon.ts[k]!),
      );
      const minion = anon.values.map((_, k) => 150 * MIB + 0.5 * MIB * z() + leak(anon.ts[k]!));
      const free = h.series.get('node_memory_MemFree_bytes')!;
      h.series.set('node_memory_AnonPages_bytes', { ts: anon.ts, values: wandering });
      h.series.set('node_memory_MemFree_bytes', {
        ts: free.ts,
        values: free.values.map((v, k) => v - (wandering[k]! - anon.values[k]!)),
      });
      h.series.set(GROUP, { ts: anon.ts, values: minion });
      return h;
    });
    const result = analyzeFleet({ from: T0, to: T0 + 2 * DAY, hosts });
    expect(result.onset?.series).toBe('process:salt-minion');
    expect(result.onset!.hosts.map((h) => h.host).sort()).toEqual(
      Array.from({ length: 12 }, (_, i) => `app-${i}`).sort(),
    );
    expect(Math.abs(result.onset!.ts - CHANGE)).toBeLessThanOrEqual(10 * MINUTE);
    expect(result.components[0]?.metric).toBe('node_memory_AnonPages_bytes');
    expect(result.process_groups[0]?.group).toBe('salt-minion');
    expect(result.summary).toContain('salt-minion holds');
  });

  /** Hosts with onsets (slope changes at the given times) and fits by series, on a one-day window. */
  const at = (i: number) => T0 + 10 * HOUR + i * 2 * MINUTE;
  const onset = (ts: number) => ({
    ts,
    lo: ts,
    hi: ts,
    kind: 'slope' as const,
    rateBefore: 0,
    rateAfter: 1,
    jump: 0,
    size: 1,
    z: 9,
  });
  const hostWith = (
    name: string,
    onsets: Record<string, number[]>,
    fits: Record<string, SeriesFit> = {},
  ): HostOnsets => ({
    host: name,
    labels: {},
    firstTs: T0,
    lastTs: T0 + DAY,
    series: new Map(
      [...new Set([...Object.keys(onsets), ...Object.keys(fits)])].map((key) => [
        key,
        {
          series: { ts: new Float64Array(), values: new Float64Array() },
          fit: fits[key] ?? null,
          onsets: (onsets[key] ?? []).map(onset),
        },
      ]),
    ),
  });

  it("counts a host whose onset shows only in a related series, each host's own series first", () => {
    const ANON = 'node_memory_AnonPages_bytes';
    const hosts = [
      ...Array.from({ length: 10 }, (_, i) => hostWith(`p${i}`, { 'process:x': [at(i)] })),
      // Seen only through anonymous memory, inside the cluster's window.
      hostWith('anon-only', { [ANON]: [at(4)] }),
      // Seen in both: its own series' onset counts, not the related series' earlier one.
      hostWith('both', { 'process:x': [at(6)], [ANON]: [at(1)] }),
      // Anonymous memory grew hours later: another matter.
      hostWith('later', { [ANON]: [at(0) + 6 * HOUR] }),
      ...Array.from({ length: 7 }, (_, i) => hostWith(`q${i}`, {})),
    ];
    const window = { from: T0, to: T0 + DAY };
    const keys = ['process:x', ANON];
    const plain = findFleetOnset(hosts, window, { keys });
    expect(plain?.key).toBe('process:x');
    expect(plain?.hostsAffected).toBe(11);
    const found = findFleetOnset(hosts, window, { keys, related: (k) => (k === 'process:x' ? [ANON] : []) });
    expect(found?.hosts.map((h) => h.host).sort()).toEqual(
      ['anon-only', 'both', ...Array.from({ length: 10 }, (_, i) => `p${i}`)].sort(),
    );
    expect(found?.hosts.find((h) => h.host === 'both')?.onset).toBe(at(6));
    // A related series counts hosts even where it is not scanned for a cluster of its own.
    const scannedAlone = findFleetOnset(hosts, window, {
      keys: ['process:x'],
      related: (k) => (k === 'process:x' ? [ANON] : []),
    });
    expect(scannedAlone?.hosts.map((h) => h.host).sort()).toEqual(found?.hosts.map((h) => h.host).sort());
  });

  it("counts a host whose growth on the cluster's series is real but small against its memory", () => {
    const z = normals(77);
    // A 20 MiB step: plain in its own noise, under the materiality floor of a 64 GiB host, so no onset.
    const small = makeSeries(24 * 60, (_, ts) => 100 * MIB + 0.2 * MIB * z() + (ts >= at(5) ? 20 * MIB : 0));
    const fit = detectChanges(small.ts, small.values);
    expect(growthOnsets(fit, 64 * GIB)).toEqual([]);
    const hosts = [
      ...Array.from({ length: 10 }, (_, i) => hostWith(`p${i}`, { 'process:x': [at(i)] })),
      hostWith('small', {}, { 'process:x': fit }),
      ...Array.from({ length: 9 }, (_, i) => hostWith(`q${i}`, {})),
    ];
    const found = findFleetOnset(hosts, { from: T0, to: T0 + DAY }, { keys: ['process:x'] });
    expect(found?.hosts.map((h) => h.host)).toContain('small');
    expect(found?.hostsAffected).toBe(11);
  });

  it('looks again under the model BIC passed over, without dating the change by what it finds', () => {
    const z = normals(78);
    const flat = makeSeries(24 * 60, () => 100 * MIB + 0.5 * MIB * z());
    const stepped = makeSeries(
      24 * 60,
      (_, ts) => 100 * MIB + 0.5 * MIB * z() + (ts >= at(0) ? 50 * MIB : 0),
    );
    // The chosen model holds no onset; the other one holds a step at the cluster's first minute.
    const chosen = detectChanges(flat.ts, flat.values);
    const other = detectChanges(stepped.ts, stepped.values);
    expect(growthOnsets(chosen)).toEqual([]);
    expect(growthOnsets(other).map((o) => o.ts)).toEqual([at(0)]);
    const hosts = (extra: HostOnsets[]) => [
      ...Array.from({ length: 10 }, (_, i) => hostWith(`p${i}`, { 'process:x': [at(i)] })),
      ...extra,
      ...Array.from({ length: 9 }, (_, i) => hostWith(`q${i}`, {})),
    ];
    const window = { from: T0, to: T0 + DAY };
    const found = findFleetOnset(
      hosts([hostWith('other', {}, { 'process:x': { ...chosen, alternative: other } })]),
      window,
      { keys: ['process:x'] },
    );
    expect(found?.hosts.map((h) => h.host)).toContain('other');
    expect(found?.hostsAffected).toBe(11);
    // Its onset was sought inside the window: the change is dated as without it.
    const without = findFleetOnset(hosts([hostWith('other', {}, { 'process:x': chosen })]), window, {
      keys: ['process:x'],
    });
    expect(without?.hostsAffected).toBe(10);
    expect(found?.ts).toBe(without?.ts);
  });

  it('counts an onset past the window whose own interval reaches into it', () => {
    const past = at(9) + 40 * MINUTE;
    const reaching = hostWith('reaching', { 'process:x': [past] });
    reaching.series.get('process:x')!.onsets[0]!.lo = at(9) - 10 * MINUTE;
    const hosts = [
      ...Array.from({ length: 10 }, (_, i) => hostWith(`p${i}`, { 'process:x': [at(i)] })),
      reaching,
      // Dated to the minute, as far past the window: another matter.
      hostWith('sharp', { 'process:x': [past] }),
      ...Array.from({ length: 8 }, (_, i) => hostWith(`q${i}`, {})),
    ];
    // A scan of 20-minute windows: the ten hosts' cluster, not the onsets past it.
    const found = findFleetOnset(
      hosts,
      { from: T0, to: T0 + DAY },
      { keys: ['process:x'], widthsMs: [20 * MINUTE] },
    );
    expect(found?.window.to).toBe(at(9));
    expect(found?.hosts.map((h) => h.host)).toContain('reaching');
    expect(found?.hosts.map((h) => h.host)).not.toContain('sharp');
    expect(found?.hostsAffected).toBe(11);
  });

  it("counts an onset within the hosts' clock skew of the window", () => {
    // Eleven hosts over twenty minutes; each clock may be off by up to five minutes.
    const hosts = [
      ...Array.from({ length: 11 }, (_, i) => hostWith(`p${i}`, { 'process:x': [at(i)] })),
      hostWith('skewed', { 'process:x': [at(0) - 4 * MINUTE] }),
      hostWith('apart', { 'process:x': [at(0) - 7 * MINUTE] }),
      ...Array.from({ length: 7 }, (_, i) => hostWith(`q${i}`, {})),
    ];
    const found = findFleetOnset(
      hosts,
      { from: T0, to: T0 + DAY },
      { keys: ['process:x'], widthsMs: [20 * MINUTE] },
    );
    expect(found?.window).toEqual({ from: at(0), to: at(10) });
    expect(found?.hosts.map((h) => h.host)).toContain('skewed');
    expect(found?.hosts.map((h) => h.host)).not.toContain('apart');
    expect(found?.hostsAffected).toBe(12);
  });

  it('looks again at a host that came up a few hours before the change reached it', () => {
    const z = normals(79);
    const series = (upBefore: number) => {
      const start = at(0) - upBefore;
      const n = Math.round((T0 + DAY - start) / MINUTE);
      const s = makeSeries(
        n,
        (i) => 100 * MIB + 0.5 * MIB * z() + (start + i * MINUTE >= at(0) ? 50 * MIB : 0),
      );
      return { ts: s.ts.map((t) => t + start - T0), values: s.values };
    };
    const threeHours = series(3 * HOUR);
    const fit = detectChanges(threeHours.ts, threeHours.values);
    // Three hours are too little history for an onset anywhere in the window.
    expect(growthOnsets(fit)).toEqual([]);
    const halfHour = series(30 * MINUTE);
    const hosts = [
      ...Array.from({ length: 10 }, (_, i) => hostWith(`p${i}`, { 'process:x': [at(i)] })),
      hostWith('late', {}, { 'process:x': fit }),
      hostWith('just-up', {}, { 'process:x': detectChanges(halfHour.ts, halfHour.values) }),
      ...Array.from({ length: 8 }, (_, i) => hostWith(`q${i}`, {})),
    ];
    const found = findFleetOnset(hosts, { from: T0, to: T0 + DAY }, { keys: ['process:x'] });
    expect(found?.hosts.find((h) => h.host === 'late')?.onset).toBe(at(0));
    // Half an hour says nothing of where the series stood before.
    expect(found?.hosts.map((h) => h.host)).not.toContain('just-up');
    expect(found?.hostsAffected).toBe(11);
  });

  it('dates the change by every host, not by one host dated early', () => {
    // Thirty hosts took the change over an hour; one more host's bend was dated 20 minutes before any.
    const early = at(0) - 20 * MINUTE;
    const hosts = [
      ...Array.from({ length: 30 }, (_, i) => hostWith(`p${i}`, { 'process:x': [at(i)] })),
      hostWith('early', { 'process:x': [early] }),
      ...Array.from({ length: 9 }, (_, i) => hostWith(`q${i}`, {})),
    ];
    const found = findFleetOnset(hosts, { from: T0, to: T0 + DAY }, { keys: ['process:x'] });
    expect(found?.hosts.map((h) => h.host)).toContain('early');
    expect(found?.first).toBe(early);
    expect(Math.abs(found!.ts - at(0))).toBeLessThanOrEqual(10 * MINUTE);
  });

  it("tests the hosts still silent for a change of the cluster's kind where it landed", () => {
    const KEY = 'node_memory_Cached_bytes';
    // A page cache in 5-minute means, wandering (AR(1) at 0.9 with 12 MiB steps), from at(4) on with a step
    // of `step` bytes and growth of `perHour` bytes an hour.
    const cache = (seed: number, step = 0, perHour = 0) => {
      const z = normals(seed);
      let wander = 0;
      return makeSeries(
        24 * 12,
        (_, ts) =>
          4096 * MIB +
          (wander = 0.9 * wander + 12 * MIB * z()) +
          (ts >= at(4) ? step + (perHour * (ts - at(4))) / HOUR : 0),
        5 * MINUTE,
      );
    };
    // Its own fit holds no onset (it is the fit of the series without the change): only the series shows it.
    const silent = (name: string, seed: number, series: Series): HostOnsets => {
      const flat = cache(seed);
      const h = hostWith(name, {}, { [KEY]: detectChanges(flat.ts, flat.values) });
      h.series.get(KEY)!.series = series;
      return h;
    };
    const hosts = (kind: ChangePoint['kind'], hidden: Series) => [
      ...Array.from({ length: 10 }, (_, i) => {
        const h = hostWith(`p${i}`, { [KEY]: [at(i)] });
        h.series.get(KEY)!.onsets[0]!.kind = kind;
        return h;
      }),
      silent('hidden', 40, hidden),
      ...Array.from({ length: 15 }, (_, i) => silent(`q${i}`, 41 + i, cache(41 + i))),
    ];
    const window = { from: T0, to: T0 + DAY };
    const stepped = cache(40, 250 * MIB);
    const found = findFleetOnset(hosts('level', stepped), window, { keys: [KEY] });
    const hidden = found?.hosts.find((h) => h.host === 'hidden');
    expect(hidden?.dating).toBe('located');
    expect(Math.abs(hidden!.onset - at(4))).toBeLessThanOrEqual(5 * MINUTE);
    expect(found?.hostsAffected).toBe(11);
    // Like the hosts looked at again, it does not date the change.
    const without = findFleetOnset(hosts('level', stepped).slice(0, 10), window, { keys: [KEY] });
    expect(found?.ts).toBe(without?.ts);
    // Under a cluster of bends, a bend is looked for.
    const bent = findFleetOnset(hosts('slope', cache(40, 0, 500 * MIB)), window, { keys: [KEY] });
    expect(bent?.hosts.find((h) => h.host === 'hidden')?.dating).toBe('located');
    expect(bent?.hostsAffected).toBe(11);
    expect(findFleetOnset(hosts('slope', cache(40)), window, { keys: [KEY] })?.hostsAffected).toBe(10);
  });

  it('computes binomial tails', () => {
    expect(Math.exp(logBinomialTail(10, 0.5, 0))).toBeCloseTo(1, 10);
    expect(Math.exp(logBinomialTail(10, 0.5, 10))).toBeCloseTo(1 / 1024, 10);
    expect(Math.exp(logBinomialTail(4, 0.5, 3))).toBeCloseTo(5 / 16, 10);
  });
});

describe('attribution', () => {
  it('puts the growth in reclaimable slab and the dentry cache, with process memory flat', () => {
    const result = analyzeFleet(fleet(12, 20));
    expect(result.components[0]?.metric).toBe('node_memory_SReclaimable_bytes');
    expect(result.components[0]!.share).toBeGreaterThan(0.8);
    expect(result.components[0]!.share).toBeLessThan(1.2);
    expect(result.components[0]!.rate_per_hour / MIB).toBeGreaterThan(35);
    expect(result.components[0]!.rate_per_hour / MIB).toBeLessThan(45);
    const anon = result.components.find((c) => c.metric === 'node_memory_AnonPages_bytes')!;
    expect(Math.abs(anon.share)).toBeLessThan(0.1);
    expect(result.slab_caches[0]?.slab).toBe('dentry');
    expect(result.unaccounted!.share).toBeGreaterThan(0.8);
    expect(result.summary).toMatch(/^reclaimable kernel slab grew about 4\d MiB\/h on 12 of 20 hosts from /);
    expect(result.summary).toContain('process memory flat');
    expect(result.summary).toContain('the dentry cache holds');
  });
});
