import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed } from '../../server/sim/prng.ts';

describe('seeded PRNG', () => {
  it('repeats its stream for a seed and differs between seeds', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, createRng(seed).next);
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });

  it('draws uniforms in [0, 1) and standard normals', () => {
    const rng = createRng(123);
    const n = 100_000;
    const moments = (draw: () => number) => {
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < n; i++) {
        const x = draw();
        sum += x;
        squares += x * x;
      }
      return { mean: sum / n, variance: squares / n - (sum / n) ** 2 };
    };
    const u = moments(rng.next);
    expect(u.mean).toBeCloseTo(0.5, 2);
    expect(u.variance).toBeCloseTo(1 / 12, 2);
    for (const draw of [rng.normal, rng.quickNormal]) {
      const z = moments(draw);
      expect(z.mean).toBeCloseTo(0, 1);
      expect(z.variance).toBeCloseTo(1, 1);
    }
    for (let i = 0; i < 1000; i++) {
      const k = rng.int(3, 5);
      expect([3, 4, 5]).toContain(k);
    }
  });

  it('derives distinct seeds from distinct parts', () => {
    const seeds = new Set([
      deriveSeed(1, 'noise', 0),
      deriveSeed(1, 'noise', 1),
      deriveSeed(1, 'profile', 0),
      deriveSeed(2, 'noise', 0),
      deriveSeed('1', 'noise', 0),
    ]);
    expect(seeds.size).toBe(5);
    expect(deriveSeed(1, 'noise', 0)).toBe(deriveSeed(1, 'noise', 0));
  });
});
