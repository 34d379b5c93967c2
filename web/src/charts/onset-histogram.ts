import uPlot from 'uplot';
import { formatTime } from '../format.ts';
import { fitWidth, markersPlugin, utc } from './uplot-util.ts';

/** How many hosts changed in each interval: the spread a configuration rollout leaves. */
export function onsetHistogram(container: HTMLElement, onsets: number[], fleetOnset: number): () => void {
  const sorted = [...onsets].sort((a, b) => a - b);
  const first = sorted[0] ?? fleetOnset;
  const last = sorted.at(-1) ?? fleetOnset;
  const niceMinutes = [1, 2, 5, 10, 15, 30, 60, 120, 240, 480];
  const want = Math.max(60_000, (last - first) / 24);
  const binMs = (niceMinutes.find((m) => m * 60_000 >= want) ?? 720) * 60_000;
  const start = Math.floor(first / binMs) * binMs;
  const bins = Math.max(1, Math.floor((last - start) / binMs) + 1);
  const xs = Array.from({ length: bins + 2 }, (_, i) => (start + (i - 1) * binMs + binMs / 2) / 1000);
  const counts = new Array<number>(bins + 2).fill(0);
  for (const t of sorted) {
    const i = Math.floor((t - start) / binMs) + 1;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  const height = 180;
  const u = new uPlot(
    {
      width: Math.max(200, container.clientWidth),
      height,
      tzDate: utc,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ space: 80 }, { label: 'hosts', size: 50 }],
      series: [
        { value: (_u, v) => (v === null ? '' : formatTime(v * 1000 - binMs / 2)) },
        {
          label: `hosts per ${binMs / 60_000} min`,
          fill: 'rgba(33, 145, 140, 0.8)',
          stroke: 'rgb(33, 145, 140)',
          paths: uPlot.paths.bars?.({ size: [0.9, 80] }),
          points: { show: false },
        },
      ],
      plugins: [markersPlugin([{ at: fleetOnset / 1000, colour: '#d6336c', dash: true }])],
    },
    [xs, counts],
    container,
  );
  return fitWidth(u, container, height);
}
