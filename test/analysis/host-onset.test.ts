import { describe, expect, it } from 'vitest';
import { type ChangePoint, type SeriesFit, detectChanges } from '../../server/analysis/changepoint.ts';
import { growthAt, growthOnsets } from '../../server/analysis/host-onset.ts';
import { HOUR, MIB, MINUTE, T0, makeSeries, normals } from './series-fixtures.ts';

const DAY = 24 * HOUR;
const onsetsOf = (s: { ts: Float64Array; values: Float64Array }) =>
  growthOnsets(detectChanges(s.ts, s.values), 8192 * MIB);

/** A daily cycle of ±300 MiB: lowest at 14:00 (after T0's midnight), highest at 02:00. */
const dailySwing = (ts: number): number => 300 * MIB * Math.cos((2 * Math.PI * (ts - T0 - 2 * HOUR)) / DAY);

/** A nightly updatedb: the dentry cache fills within 12 minutes, then drains with a 3-hour time constant. */
function burst(ts: number, at: number, size: number): number {
  if (ts < at) return 0;
  const ramp = 12 * MINUTE;
  if (ts < at + ramp) return (size * (ts - at)) / ramp;
  return size * Math.exp(-(ts - at - ramp) / (3 * HOUR));
}

/**
 * A fitted series by hand: `pieces` are [start hour, level at start (MiB), rate (MiB/h)], the first at
 * hour 0, the last ending at `endHour`; each boundary is a change of the kind its jump and rates make it.
 */
function fitOf(
  pieces: [number, number, number][],
  endHour: number,
  extra: Partial<SeriesFit> = {},
): SeriesFit {
  const at = (h: number) => T0 + h * HOUR;
  const segments = pieces.map(([h, level, rate], i) => ({
    start: 0,
    end: 0,
    startTs: at(h),
    endTs: at(pieces[i + 1]?.[0] ?? endHour),
    level: level * MIB,
    rate: rate * MIB,
  }));
  const changes: ChangePoint[] = segments.slice(1).map((seg, i) => {
    const before = segments[i]!;
    const jump = seg.level - (before.level + (before.rate * (seg.startTs - before.startTs)) / HOUR);
    const slope = seg.rate !== before.rate;
    const level = Math.abs(jump) > MIB;
    return {
      index: 0,
      ts: seg.startTs,
      lo: seg.startTs,
      hi: seg.startTs,
      kind: slope && level ? 'both' : level ? 'level' : 'slope',
      rateBefore: before.rate,
      rateAfter: seg.rate,
      jump,
      size: jump + (seg.rate - before.rate) * ((seg.endTs - seg.startTs) / HOUR),
      zSlope: slope ? Math.sign(seg.rate - before.rate) * 20 : 0,
      zLevel: level ? Math.sign(jump) * 20 : 0,
    };
  });
  return { changes, segments, sigma: MIB, rho: 0, seasonal: null, ...extra };
}

describe('growth onsets of one host', () => {
  it('judges a burst whose rise the fit cut into steps as one course', () => {
    // Near the window's end: a nightly burst rises in three fitted steps within a quarter of an hour, then
    // drains at 130 and 94 MiB/h; two hours later about half of it is left.
    const steps = 12;
    const fit = fitOf(
      [
        [0, 220, 0],
        [steps, 305, 0],
        [steps + 1 / 12, 511, 0],
        [steps + 2 / 12, 699, -129],
        [steps + 1.25, 559, -94],
      ],
      steps + 2.25,
    );
    expect(growthOnsets(fit, 8192 * MIB)).toEqual([]);
    // The same rise that then holds is an onset, at its first step.
    const held = fitOf(
      [
        [0, 220, 0],
        [steps, 305, 0],
        [steps + 1 / 12, 511, 0],
        [steps + 2 / 12, 699, 0],
      ],
      steps + 8,
    );
    expect(growthOnsets(held, 8192 * MIB).map((o) => o.ts)).toContain(T0 + steps * HOUR);
  });

  it('calls a bend into growth on a tiny drop growth, and a drop the new trend does not win back none', () => {
    const bend: ChangePoint = {
      index: 0,
      ts: T0,
      lo: T0,
      hi: T0,
      kind: 'both',
      rateBefore: 0,
      rateAfter: 20 * MIB,
      jump: -1 * MIB,
      size: 200 * MIB,
      zSlope: 40,
      zLevel: -5,
    };
    expect(growthAt(bend).grows).toBe(true);
    expect(growthAt({ ...bend, jump: -300 * MIB, size: -100 * MIB, zLevel: -60 }).grows).toBe(false);
  });

  it('calls a nightly burst that drains no onset, even where the window ends before it has drained', () => {
    for (const hoursBeforeEnd of [12, 2]) {
      const z = normals(21 + hoursBeforeEnd);
      const at = T0 + DAY - hoursBeforeEnd * HOUR;
      const s = makeSeries(24 * 60, (_, ts) => 300 * MIB + 1 * MIB * z() + burst(ts, at, 400 * MIB));
      expect(onsetsOf(s)).toEqual([]);
    }
  });

  it('waits an hour before calling growth at the end of the window an onset', () => {
    // A burst still rising when the window ends cannot be told from a step that will hold.
    const z = normals(31);
    const rising = makeSeries(
      24 * 60,
      (_, ts) => 300 * MIB + 1 * MIB * z() + burst(ts, T0 + DAY - 15 * MINUTE, 400 * MIB),
    );
    expect(onsetsOf(rising)).toEqual([]);
    const held = makeSeries(
      24 * 60,
      (_, ts) => 300 * MIB + 1 * MIB * z() + (ts >= T0 + DAY - 2 * HOUR ? 200 * MIB : 0),
    );
    expect(onsetsOf(held)).toHaveLength(1);
  });

  it("judges a bend without the next night's burst", () => {
    // Last night's burst drains slowly; the fit turns up two hours before tonight's. On its own the turn
    // adds 4 MiB before the burst lifts the series, and drains with it.
    const turn = fitOf(
      [
        [0, 8, 1.5],
        [2, 21, -0.75],
        [22, 6, 1.1],
        [26, 21, -0.75],
      ],
      36,
    );
    expect(growthOnsets(turn, 8192 * MIB)).toEqual([]);
    // A leak that starts there keeps growing through the burst: an onset.
    const leak = fitOf(
      [
        [0, 8, 1.5],
        [2, 21, -0.75],
        [22, 6, 8],
        [26, 48, 8],
      ],
      36,
    );
    expect(growthOnsets(leak, 8192 * MIB).map((o) => o.ts)).toEqual([T0 + 22 * HOUR]);
  });

  it('reads a step spread over two slot means, which the fit cut around a short ramp, as one step', () => {
    // As fitted from 5-minute means: each change judged on too few points to be told a level shift.
    const fit = fitOf(
      [
        [0, 106, 0],
        [10, 98, 1560],
        [10.25, 368, 0],
      ],
      24,
    );
    for (const c of fit.changes) Object.assign(c, { kind: 'level', zSlope: 0, zLevel: 0 });
    const onsets = growthOnsets(fit, 8192 * MIB);
    expect(onsets.map((o) => [o.ts, o.kind])).toEqual([[T0 + 10 * HOUR, 'level']]);
    expect(onsets[0]!.jump / MIB).toBeCloseTo(262, 0);
  });

  it('keeps a step that holds', () => {
    const z = normals(24);
    const s = makeSeries(24 * 60, (i) => 300 * MIB + 1 * MIB * z() + (i >= 14 * 60 ? 200 * MIB : 0));
    const onsets = onsetsOf(s);
    expect(onsets).toHaveLength(1);
    expect(Math.abs(onsets[0]!.ts - (T0 + 14 * HOUR))).toBeLessThanOrEqual(5 * MINUTE);
  });

  it('finds a leak that starts under a draining burst, not the burst', () => {
    const z = normals(25);
    const burstAt = T0 + 12 * HOUR;
    const leakAt = burstAt + 75 * MINUTE;
    const s = makeSeries(
      30 * 60,
      (_, ts) =>
        300 * MIB +
        1 * MIB * z() +
        burst(ts, burstAt, 400 * MIB) +
        Math.max(0, (ts - leakAt) / HOUR) * 40 * MIB,
    );
    const onsets = onsetsOf(s);
    expect(onsets.length).toBeGreaterThanOrEqual(1);
    // The first onset is the leak's, not the burst's 75 minutes earlier. Straight lines bend late along the
    // drain's curve, so the leak is placed up to an hour after it began.
    expect(onsets[0]!.ts).toBeGreaterThan(burstAt + 30 * MINUTE);
    expect(Math.abs(onsets[0]!.ts - leakAt)).toBeLessThanOrEqual(60 * MINUTE);
  });

  it('calls the turn of a daily cycle in a one-day window no onset', () => {
    // Falling all night, rising all day: one V in the window, read as a cycle or as ground regained.
    const z = normals(26);
    const s = makeSeries(24 * 60, (_, ts) => 4000 * MIB + 4 * MIB * z() + dailySwing(ts));
    expect(onsetsOf(s)).toEqual([]);
  });

  it('finds a leak that takes the series past its daily range', () => {
    const z = normals(27);
    const leakAt = T0 + 30 * HOUR;
    const s = makeSeries(
      48 * 60,
      (_, ts) => 4000 * MIB + 4 * MIB * z() + dailySwing(ts) + Math.max(0, (ts - leakAt) / HOUR) * 60 * MIB,
    );
    const onsets = onsetsOf(s);
    expect(onsets).toHaveLength(1);
    expect(Math.abs(onsets[0]!.ts - leakAt)).toBeLessThanOrEqual(30 * MINUTE);
  });

  it('needs some earlier behaviour before calling a change an onset', () => {
    const z = normals(28);
    const s = makeSeries(24 * 60, (i) => 300 * MIB + 1 * MIB * z() + (i >= 2 * 60 ? 200 * MIB : 0));
    expect(onsetsOf(s)).toEqual([]);
  });
});
