/** Viridis in five stops: ordered in lightness, readable for the common colour-vision deficiencies. */
const stops: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** 101 colours for 0..100, packed as little-endian RGBA words for an ImageData's Uint32 view. */
export function buildLut(): Uint32Array {
  const lut = new Uint32Array(101);
  for (let i = 0; i <= 100; i++) {
    const x = (i / 100) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(x));
    const f = x - k;
    const a = stops[k] as [number, number, number];
    const b = stops[k + 1] as [number, number, number];
    const c = (j: 0 | 1 | 2) => Math.round(a[j] + (b[j] - a[j]) * f);
    lut[i] = (255 << 24) | (c(2) << 16) | (c(1) << 8) | c(0);
  }
  return lut;
}

export const lutCss = (lut: Uint32Array, i: number) => {
  const v = lut[i] ?? 0;
  return `rgb(${v & 255}, ${(v >>> 8) & 255}, ${(v >>> 16) & 255})`;
};
