import { describe, expect, it } from 'vitest';
import { detectChanges } from '../../server/analysis/changepoint.ts';
import { growthOnsets } from '../../server/analysis/host-onset.ts';
import { MIB, MINUTE, T0, makeSeries, normals } from './series-fixtures.ts';

const N = 2880;
const BASE = 500 * MIB;

describe('detectChanges', () => {
  it('finds a clean slope change, its time within minutes, and the rates before and after', () => {
    const z = normals(1);
    const s = makeSeries(N, (i) => BASE + 2 * MIB * z() + (i > 1700 ? ((i - 1700) / 60) * 40 * MIB : 0));
    const fit = detectChanges(s.ts, s.values);
    expect(fit.changes).toHaveLength(1);
    const c = fit.changes[0]!;
    expect(c.kind).toBe('slope');
    expect(Math.abs(c.index - 1700)).toBeLessThanOrEqual(5);
    expect(c.lo).toBeLessThanOrEqual(c.ts);
    expect(c.hi).toBeGreaterThanOrEqual(c.ts);
    expect(c.rateBefore / MIB).toBeCloseTo(0, 0);
    expect(c.rateAfter / MIB).toBeGreaterThan(38);
    expect(c.rateAfter / MIB).toBeLessThan(42);
    expect(growthOnsets(fit)).toHaveLength(1);
  });

  it('calls a step a level change at its index', () => {
    const z = normals(2);
    const s = makeSeries(N, (i) => BASE + 2 * MIB * z() + (i >= 1000 ? 50 * MIB : 0));
    const fit = detectChanges(s.ts, s.values);
    expect(fit.changes.map((c) => [c.index, c.kind])).toEqual([[1000, 'level']]);
    expect(fit.changes[0]!.jump / MIB).toBeCloseTo(50, 0);
  });

  it('sees restarts in a sawtooth as drops, not growth onsets', () => {
    const z = normals(3);
    const s = makeSeries(N, (i) => BASE + 2 * MIB * z() + ((i % 480) / 60) * 20 * MIB);
    const fit = detectChanges(s.ts, s.values);
    const drops = fit.changes.filter((c) => c.jump < -100 * MIB).map((c) => c.index);
    expect(drops).toEqual([480, 960, 1440, 1920, 2400]);
    // On a 4 GiB host: what is left between the drops is noise below the materiality floor.
    expect(growthOnsets(fit, 4096 * MIB)).toEqual([]);
  });

  it('models a daily cycle instead of calling it a leak', () => {
    const z = normals(4);
    const s = makeSeries(
      N,
      (_, ts) => BASE + 2 * MIB * z() + 100 * MIB * Math.sin((2 * Math.PI * ts) / 86_400_000),
    );
    const fit = detectChanges(s.ts, s.values);
    expect(fit.changes).toEqual([]);
    expect(fit.seasonal).not.toBeNull();
  });

  it('finds a leak on top of a daily cycle', () => {
    const z = normals(5);
    const s = makeSeries(
      N,
      (i, ts) =>
        BASE +
        2 * MIB * z() +
        100 * MIB * Math.sin((2 * Math.PI * ts) / 86_400_000) +
        (i > 2000 ? ((i - 2000) / 60) * 20 * MIB : 0),
    );
    const onsets = growthOnsets(detectChanges(s.ts, s.values));
    expect(onsets).toHaveLength(1);
    expect(Math.abs(onsets[0]!.ts - (T0 + 2000 * MINUTE))).toBeLessThanOrEqual(5 * MINUTE);
  });

  it('regresses on time across a gap', () => {
    const z = normals(6);
    const full = makeSeries(N, (i) => BASE + 2 * MIB * z() + (i > 1700 ? ((i - 1700) / 60) * 40 * MIB : 0));
    const keep = [...full.ts.keys()].filter((i) => i < 1200 || i > 1500);
    const ts = Float64Array.from(keep, (i) => full.ts[i]!);
    const values = Float64Array.from(keep, (i) => full.values[i]!);
    const fit = detectChanges(ts, values);
    expect(fit.changes).toHaveLength(1);
    expect(Math.abs(fit.changes[0]!.ts - (T0 + 1700 * MINUTE))).toBeLessThanOrEqual(5 * MINUTE);
    expect(fit.changes[0]!.kind).toBe('slope');
  });

  it('marks a short excursion that returns as a spike, not an onset', () => {
    const z = normals(7);
    const s = makeSeries(N, (i) => BASE + 2 * MIB * z() + (i >= 1000 && i < 1015 ? 200 * MIB : 0));
    const fit = detectChanges(s.ts, s.values);
    expect(fit.changes.map((c) => c.kind)).toEqual(['spike', 'spike']);
    expect(growthOnsets(fit)).toEqual([]);
  });

  it('finds nothing in noise', () => {
    let found = 0;
    for (let seed = 10; seed < 40; seed++) {
      const z = normals(seed);
      const s = makeSeries(N, () => BASE + 2 * MIB * z());
      found += detectChanges(s.ts, s.values).changes.length;
    }
    // BIC on ~256 cells: a spurious change in a few per cent of series at most.
    expect(found).toBeLessThanOrEqual(2);
  });

  it('skips non-finite values and keeps input indices', () => {
    const z = normals(8);
    const s = makeSeries(600, (i) => 100 + z() + (i >= 300 ? 30 : 0));
    s.values[10] = NaN;
    const fit = detectChanges(s.ts, s.values);
    expect(fit.changes.map((c) => c.index)).toEqual([300]);
    expect(fit.changes[0]!.ts).toBe(T0 + 300 * MINUTE);
  });
});
