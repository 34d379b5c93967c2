import { describe, expect, it } from 'vitest';
import { slotMeans } from '../../server/analysis/slot-means.ts';

const SLOT = 300_000;

describe('slotMeans', () => {
  it('averages the samples of each epoch-aligned slot at its middle, only slots with samples', () => {
    const from = 10 * SLOT + 160_000;
    const to = 14 * SLOT;
    // Slot 10 has its middle before `from`: left out, as the server does.
    const ts = Float64Array.from([10 * SLOT + 200_000, 11 * SLOT, 11 * SLOT + 60_000, 13 * SLOT + 299_000]);
    const values = Float64Array.from([1, 2, 4, 7]);
    const out = slotMeans({
      from,
      to,
      hosts: [{ host: 'h', labels: {}, series: new Map([['m', { ts, values }]]) }],
    });
    const s = out.hosts[0]!.series.get('m')!;
    expect([...s.ts]).toEqual([11 * SLOT + SLOT / 2, 13 * SLOT + SLOT / 2]);
    expect([...s.values]).toEqual([3, 7]);
  });

  it('drops non-finite samples and hosts left without any slot', () => {
    const ts = Float64Array.from([0, 1000]);
    const values = Float64Array.from([NaN, NaN]);
    const out = slotMeans({
      from: 0,
      to: SLOT,
      hosts: [{ host: 'h', labels: {}, series: new Map([['m', { ts, values }]]) }],
    });
    expect(out.hosts).toHaveLength(0);
  });
});
