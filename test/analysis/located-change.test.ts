import { describe, expect, it } from 'vitest';
import type { Series } from '../../server/analysis/analysis.models.ts';
import {
  benjaminiHochberg,
  changeT,
  locatedChanges,
  nullShare,
  nullStarts,
  sameHourStarts,
} from '../../server/analysis/located-change.ts';
import { HOUR, MIB, MINUTE, T0, makeSeries, normals } from './series-fixtures.ts';

const SLOT = 5 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A page cache in 5-minute means over `hours` (36): a daily swing of 300 MiB peaking at 14:00, a wander (AR(1)
 * at 0.9 with 12 MiB steps), a nightly job at `jobHour` (02:00) that adds 400 MiB and drains over an hour
 * and a half, and from `changeAt` on a step of `step` bytes and growth of `perHour` bytes an hour.
 */
function pageCache(
  seed: number,
  changeAt = Infinity,
  step = 0,
  perHour = 0,
  hours = 36,
  jobHour = 2,
): Series {
  const z = normals(seed);
  let wander = 0;
  return makeSeries(
    hours * 12,
    (_, ts) => {
      wander = 0.9 * wander + 12 * MIB * z();
      const hourOfDay = ((ts - T0) % DAY) / HOUR;
      const sinceJob = (hourOfDay + 24 - jobHour) % 24;
      const job = sinceJob < 0.1 ? 0 : 400 * MIB * Math.exp(-sinceJob / 1.5);
      const swing = 300 * MIB * Math.cos((2 * Math.PI * (hourOfDay - 14)) / 24);
      const change = ts >= changeAt ? step + (perHour * (ts - changeAt)) / HOUR : 0;
      return 4096 * MIB + swing + wander + job + change;
    },
    SLOT,
  );
}

// The first afternoon, the swing near its peak.
const CHANGE = T0 + 15 * HOUR;

describe('located change', () => {
  it("measures a step against a local quadratic, in the residuals' noise units", () => {
    const stepped = pageCache(1, T0 + 13 * HOUR, 150 * MIB);
    expect(changeT(stepped, 'step', T0 + 13 * HOUR)).toBeGreaterThan(4);
    // Hours from it, with the swing near its peak, nothing stands out.
    expect(Math.abs(changeT(stepped, 'step', T0 + 17 * HOUR))).toBeLessThan(3);
    // One-sided: a fall is no step up.
    expect(changeT(pageCache(1, T0 + 13 * HOUR, -150 * MIB), 'step', T0 + 13 * HOUR)).toBeLessThan(-4);
    // Three hours either side are needed: not at the series' first hour.
    expect(changeT(stepped, 'step', T0 + HOUR)).toBeNaN();
  });

  it('rejects by Benjamini–Hochberg', () => {
    const p = [0.205, 0.001, 0.039, 0.008, 0.041, 0.06, 0.042, 0.074];
    // Sorted: 0.001 ≤ 0.05/8 and 0.008 ≤ 0.05·2/8; 0.039 > 0.05·3/8, and none after passes.
    expect(benjaminiHochberg(p, 0.05)).toEqual([false, true, false, true, false, false, false, false]);
    expect(benjaminiHochberg([0.04, 0.01, 0.03, 0.02], 0.05)).toEqual([true, true, true, true]);
    expect(benjaminiHochberg([0.5, 1], 0.05)).toEqual([false, false]);
  });

  it("estimates the share of true nulls by Storey's method", () => {
    // Uniform p-values: all null (capped at 1).
    expect(nullShare(Array.from({ length: 100 }, (_, i) => (i + 0.5) / 100))).toBe(1);
    // Half of them near zero: the 25 above ½ speak for 50 nulls, +1.
    const half = [
      ...Array.from({ length: 50 }, () => 0.001),
      ...Array.from({ length: 50 }, (_, i) => (i + 0.5) / 50),
    ];
    expect(nullShare(half)).toBeCloseTo(26 / 50, 10);
    expect(nullShare([])).toBe(1);
  });

  it('finds the hosts with a step in the window, where it landed, and no others', () => {
    const lands = (i: number) => CHANGE + i * 3 * MINUTE;
    const stepped = Array.from({ length: 12 }, (_, i) => pageCache(100 + i, lands(i), 250 * MIB));
    const quiet = Array.from({ length: 18 }, (_, i) => pageCache(200 + i));
    const window = { from: CHANGE - 5 * MINUTE, to: lands(11) + 5 * MINUTE };
    const found = locatedChanges([...stepped, ...quiet], 'step', window);
    const hits = found.slice(0, 12).filter((at) => at !== null).length;
    expect(hits).toBeGreaterThanOrEqual(10);
    expect(found.slice(12).filter((at) => at !== null)).toEqual([]);
    found.slice(0, 12).forEach((at, i) => {
      if (at !== null) expect(Math.abs(at - lands(i))).toBeLessThanOrEqual(SLOT);
    });
    // Without the steps, the same window holds nothing.
    expect(locatedChanges(quiet, 'step', window).filter((at) => at !== null)).toEqual([]);
    // A window of several hours is no place to look.
    expect(
      locatedChanges(stepped, 'step', { from: CHANGE - 3 * HOUR, to: CHANGE + 2 * HOUR }).filter(
        (at) => at !== null,
      ),
    ).toEqual([]);
  });

  it('judges a window against the same hours of other days where the series holds them', () => {
    // Three days; each host's nightly job at its own hour between midnight and 05:00, against which a step
    // of 100 MiB is small: at other times of day the jobs' steps would be what it is measured against.
    const lands = T0 + 39 * HOUR;
    const window = { from: lands - 5 * MINUTE, to: lands + 15 * MINUTE };
    const stepped = Array.from({ length: 12 }, (_, i) =>
      pageCache(600 + i, lands, 100 * MIB, 0, 72, (i * 5) / 12),
    );
    const quiet = Array.from({ length: 18 }, (_, i) => pageCache(700 + i, Infinity, 0, 0, 72, (i * 5) / 18));
    const found = locatedChanges([...stepped, ...quiet], 'step', window);
    expect(found.slice(0, 12).filter((at) => at !== null).length).toBeGreaterThanOrEqual(10);
    expect(found.slice(12).filter((at) => at !== null).length).toBeLessThanOrEqual(1);
  });

  it('places the windows at the same hours of up to two days either side, inside the series', () => {
    const s = pageCache(1, Infinity, 0, 0, 72);
    const window = { from: T0 + 30 * HOUR, to: T0 + 30 * HOUR + 20 * MINUTE };
    const starts = sameHourStarts(s, 20 * MINUTE, window);
    // The day before and the day after; two days away is outside the series.
    expect(starts).toHaveLength(32);
    for (const start of starts) {
      const offset = Math.abs(start - window.from);
      expect(Math.abs(offset - DAY)).toBeLessThan(HOUR);
    }
    // A series of a day holds no other day.
    const midday = { from: T0 + 12 * HOUR, to: T0 + 12 * HOUR + 20 * MINUTE };
    expect(sameHourStarts(pageCache(1, Infinity, 0, 0, 24), 20 * MINUTE, midday)).toEqual([]);
  });

  it('measures a bend against a local quadratic, and only where its fit reaches the bend', () => {
    const quiet = pageCache(1);
    const leaking = pageCache(1, T0 + 13 * HOUR, 0, 200 * MIB);
    expect(changeT(leaking, 'hinge', T0 + 13 * HOUR)).toBeGreaterThan(
      changeT(quiet, 'hinge', T0 + 13 * HOUR) + 6,
    );
    // Four hours on, the growth since is a straight line the quadratic takes up.
    expect(changeT(leaking, 'hinge', T0 + 17 * HOUR)).toBeCloseTo(changeT(quiet, 'hinge', T0 + 17 * HOUR), 6);
  });

  it('finds the hosts where growth began in the window, and no others', () => {
    const lands = (i: number) => CHANGE + i * 5 * MINUTE;
    const leaking = Array.from({ length: 12 }, (_, i) => pageCache(300 + i, lands(i), 0, 200 * MIB));
    const quiet = Array.from({ length: 18 }, (_, i) => pageCache(400 + i));
    const window = { from: CHANGE - 5 * MINUTE, to: lands(11) + 5 * MINUTE };
    const found = locatedChanges([...leaking, ...quiet], 'hinge', window);
    expect(found.slice(0, 12).filter((at) => at !== null).length).toBeGreaterThanOrEqual(10);
    // Benjamini–Hochberg allows one in twenty of those it adds to be wrong.
    expect(found.slice(12).filter((at) => at !== null).length).toBeLessThanOrEqual(1);
    expect(locatedChanges(quiet, 'hinge', window).filter((at) => at !== null)).toEqual([]);
  });

  it('spreads as many windows at other times over a short series, clear of the change', () => {
    // 20 hours, a change at the tenth: the fits (3 hours either side) leave a few hours before and after.
    const s = pageCache(1, Infinity, 0, 0, 20);
    const window = { from: T0 + 10 * HOUR, to: T0 + 10 * HOUR + 40 * MINUTE };
    const width = window.to - window.from;
    const starts = nullStarts(s, width, window);
    expect(starts).toHaveLength(32);
    for (const start of starts) {
      expect(start - 3 * HOUR).toBeGreaterThanOrEqual(s.ts[0]!);
      expect(start + width + 3 * HOUR).toBeLessThanOrEqual(s.ts[s.ts.length - 1]!);
      expect(start + width <= window.from - 3 * HOUR || start >= window.to + 3 * HOUR).toBe(true);
    }
    expect(starts.filter((t) => t < window.from).length).toBeGreaterThan(10);
    expect(starts.filter((t) => t > window.to).length).toBeGreaterThan(10);
    // No room at all: none.
    expect(nullStarts(pageCache(1, Infinity, 0, 0, 6), width, window)).toEqual([]);
  });
});
