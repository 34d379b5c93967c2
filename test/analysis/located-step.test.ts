import { describe, expect, it } from 'vitest';
import type { Series } from '../../server/analysis/analysis.models.ts';
import { benjaminiHochberg, locatedSteps, stepT } from '../../server/analysis/located-step.ts';
import { HOUR, MIB, MINUTE, T0, makeSeries, normals } from './series-fixtures.ts';

const SLOT = 5 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A page cache in 5-minute means over 36 hours: a daily swing of 300 MiB peaking at 14:00, a wander (AR(1)
 * at 0.9 with 12 MiB steps), a nightly job at 02:00 that adds 400 MiB and drains over an hour and a half,
 * and from `stepAt` on a step of `step` bytes.
 */
function pageCache(seed: number, stepAt = Infinity, step = 0): Series {
  const z = normals(seed);
  let wander = 0;
  return makeSeries(
    36 * 12,
    (_, ts) => {
      wander = 0.9 * wander + 12 * MIB * z();
      const hourOfDay = ((ts - T0) % DAY) / HOUR;
      const sinceJob = (hourOfDay + 22) % 24;
      const job = sinceJob < 0.1 ? 0 : 400 * MIB * Math.exp(-sinceJob / 1.5);
      const swing = 300 * MIB * Math.cos((2 * Math.PI * (hourOfDay - 14)) / 24);
      return 4096 * MIB + swing + wander + job + (ts >= stepAt ? step : 0);
    },
    SLOT,
  );
}

// The first afternoon, the swing near its peak.
const CHANGE = T0 + 15 * HOUR;

describe('located step', () => {
  it("measures a step against a local quadratic, in the residuals' noise units", () => {
    const stepped = pageCache(1, T0 + 13 * HOUR, 150 * MIB);
    expect(stepT(stepped, T0 + 13 * HOUR)).toBeGreaterThan(4);
    // Hours from it, with the swing near its peak, nothing stands out.
    expect(Math.abs(stepT(stepped, T0 + 17 * HOUR))).toBeLessThan(3);
    // One-sided: a fall is no step up.
    expect(stepT(pageCache(1, T0 + 13 * HOUR, -150 * MIB), T0 + 13 * HOUR)).toBeLessThan(-4);
    // Three hours either side are needed: not at the series' first hour.
    expect(stepT(stepped, T0 + HOUR)).toBeNaN();
  });

  it('rejects by Benjamini–Hochberg', () => {
    const p = [0.205, 0.001, 0.039, 0.008, 0.041, 0.06, 0.042, 0.074];
    // Sorted: 0.001 ≤ 0.05/8 and 0.008 ≤ 0.05·2/8; 0.039 > 0.05·3/8, and none after passes.
    expect(benjaminiHochberg(p, 0.05)).toBe(2);
    expect(benjaminiHochberg([0.01, 0.02, 0.03, 0.04], 0.05)).toBe(4);
    expect(benjaminiHochberg([0.5, 1], 0.05)).toBe(0);
  });

  it('finds the hosts with a step in the window, where it landed, and no others', () => {
    const lands = (i: number) => CHANGE + i * 3 * MINUTE;
    const stepped = Array.from({ length: 12 }, (_, i) => pageCache(100 + i, lands(i), 250 * MIB));
    const quiet = Array.from({ length: 18 }, (_, i) => pageCache(200 + i));
    const window = { from: CHANGE - 5 * MINUTE, to: lands(11) + 5 * MINUTE };
    const found = locatedSteps([...stepped, ...quiet], window);
    const hits = found.slice(0, 12).filter((at) => at !== null).length;
    expect(hits).toBeGreaterThanOrEqual(10);
    expect(found.slice(12).filter((at) => at !== null)).toEqual([]);
    found.slice(0, 12).forEach((at, i) => {
      if (at !== null) expect(Math.abs(at - lands(i))).toBeLessThanOrEqual(SLOT);
    });
    // Without the steps, the same window holds nothing.
    expect(locatedSteps(quiet, window).filter((at) => at !== null)).toEqual([]);
    // A window of several hours is no place to look.
    expect(
      locatedSteps(stepped, { from: CHANGE - 3 * HOUR, to: CHANGE + 2 * HOUR }).filter((at) => at !== null),
    ).toEqual([]);
  });
});
