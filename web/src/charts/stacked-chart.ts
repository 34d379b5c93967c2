import uPlot from 'uplot';
import { formatBytes } from '../format.ts';
import { fitWidth, markersPlugin, utc } from './uplot-util.ts';

const colours = ['#4c6ef5', '#74c0fc', '#a5d8ff', '#f59f00', '#e8590c', '#845ef7', '#be4bdb'];

export interface StackedData {
  /** Epoch ms. */
  times: number[];
  /** Stacked bottom to top, bytes; null where missing. */
  parts: { label: string; values: (number | null)[] }[];
  /** A line over the areas, such as the used memory they should add up to. */
  line?: { label: string; values: (number | null)[] };
}

export interface OnsetMark {
  at: number;
  from?: number;
  to?: number;
}

/** Memory parts as stacked areas in bytes, with onsets marked (now or once they are known). */
export function stackedChart(
  container: HTMLElement,
  data: StackedData,
  height = 340,
): { destroy(): void; markOnset(onset: OnsetMark): void } {
  const stacked: (number | null)[][] = [];
  data.parts.forEach((part, k) => {
    const below = stacked[k - 1];
    stacked.push(part.values.map((v, i) => (v === null ? null : v + (below?.[i] ?? 0))));
  });
  const marks: Parameters<typeof markersPlugin>[0] = [];
  const bytes = (_u: uPlot, v: number | null) => (v === null ? '–' : formatBytes(v));
  const u = new uPlot(
    {
      width: Math.max(200, container.clientWidth),
      height,
      tzDate: utc,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max * 1.05] } },
      axes: [{ space: 80 }, { size: 70, values: (_u, ticks) => ticks.map((t) => formatBytes(t)) }],
      series: [
        {},
        ...data.parts.map((part, k) => ({
          label: part.label,
          stroke: colours[k % colours.length],
          fill: `${colours[k % colours.length]}99`,
          width: 1,
          // The legend shows each part's own size, not the running sum the areas are drawn from.
          value: (_u: uPlot, _v: number | null, _s: number, i: number | null) =>
            bytes(_u, i === null ? null : (part.values[i] ?? null)),
        })),
        ...(data.line ? [{ label: data.line.label, stroke: '#868e96', width: 2, value: bytes }] : []),
      ],
      bands: data.parts.slice(1).map((_, k) => ({ series: [k + 2, k + 1] as [number, number] })),
      plugins: [markersPlugin(marks)],
    },
    [
      data.times.map((t) => t / 1000),
      ...stacked,
      ...(data.line ? [data.line.values] : []),
    ] as uPlot.AlignedData,
    container,
  );
  return {
    destroy: fitWidth(u, container, height),
    markOnset(onset) {
      marks.push({
        at: onset.at / 1000,
        ...(onset.from === undefined ? {} : { from: onset.from / 1000 }),
        ...(onset.to === undefined ? {} : { to: onset.to / 1000 }),
        colour: '#d6336c',
        dash: onset.from === undefined,
      });
      u.redraw(false);
    },
  };
}
