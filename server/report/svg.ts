/**
 * A small SVG chart builder for the postmortem report: a line chart over time with markers, and a bar
 * histogram. Output is one well-formed `<svg>` element without blank lines, so it stays one HTML block
 * in Markdown; every piece of text goes through `escapeXml`.
 */

// Characters XML 1.0 forbids, and DEL; tabs and line breaks are kept.
// eslint-disable-next-line no-control-regex
const controlChars = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(controlChars, '');
}

type Attrs = Record<string, string | number | undefined>;

function el(name: string, attrs: Attrs, children: string[] | string = ''): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(typeof v === 'number' ? fmt(v) : (v as string))}"`)
    .join('');
  const body = Array.isArray(children) ? children.join('') : children;
  return body === '' ? `<${name}${a}/>` : `<${name}${a}>${body}</${name}>`;
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
const text = (x: number, y: number, content: string, attrs: Attrs = {}) =>
  el('text', { x, y, 'font-size': 11, fill: '#333', ...attrs }, escapeXml(content));

export interface LineSeries {
  name: string;
  color: string;
  /** x (epoch ms) and y; NaN y leaves a gap. */
  points: readonly (readonly [number, number])[];
}

export interface Marker {
  at: number;
  label: string;
  color?: string;
}

export interface LineChartOptions {
  title: string;
  width?: number;
  height?: number;
  from: number;
  to: number;
  series: LineSeries[];
  markers?: Marker[];
  /** Formats a y value for the axis. */
  formatY: (y: number) => string;
  /** Formats an x value (epoch ms) for the axis. */
  formatX: (x: number) => string;
}

const pad = { left: 64, right: 16, top: 28, bottom: 44 };

function frame(title: string, width: number, height: number, children: string[]): string {
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': title,
      'font-family': 'sans-serif',
    },
    [
      el('title', {}, escapeXml(title)),
      el('rect', { x: 0, y: 0, width, height, fill: '#fff' }),
      text(pad.left, 17, title, { 'font-size': 13, 'font-weight': 'bold' }),
      ...children,
    ],
  );
}

/** Round steps (1, 2, 5 × 10^k) covering [lo, hi] in about `count` ticks. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(t);
  return ticks;
}

export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 260;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  let lo = ys.length > 0 ? Math.min(...ys) : 0;
  let hi = ys.length > 0 ? Math.max(...ys) : 1;
  if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
  const margin = (hi - lo) * 0.05;
  lo -= margin;
  hi += margin;
  const span = Math.max(1, o.to - o.from);
  const x = (t: number) => pad.left + ((t - o.from) / span) * plotW;
  const y = (v: number) => pad.top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const parts: string[] = [];
  for (const t of niceTicks(lo, hi, 4)) {
    parts.push(el('line', { x1: pad.left, x2: pad.left + plotW, y1: y(t), y2: y(t), stroke: '#e5e5e5' }));
    parts.push(text(pad.left - 6, y(t) + 4, o.formatY(t), { 'text-anchor': 'end' }));
  }
  for (let i = 0; i <= 4; i++) {
    const t = o.from + (span * i) / 4;
    const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
    parts.push(text(x(t), pad.top + plotH + 16, o.formatX(t), { 'text-anchor': anchor }));
  }
  parts.push(
    el('rect', { x: pad.left, y: pad.top, width: plotW, height: plotH, fill: 'none', stroke: '#999' }),
  );
  for (const s of o.series) {
    // A NaN starts a new segment, so gaps in the data show as gaps.
    const segments: string[][] = [[]];
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) {
        if ((segments.at(-1) ?? []).length > 0) segments.push([]);
        continue;
      }
      segments.at(-1)?.push(`${fmt(x(t))},${fmt(y(v))}`);
    }
    for (const seg of segments.filter((p) => p.length > 0)) {
      parts.push(
        el('polyline', { points: seg.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 1.5 }),
      );
    }
  }
  for (const m of o.markers ?? []) {
    if (m.at < o.from || m.at > o.to) continue;
    const color = m.color ?? '#c00';
    parts.push(
      el('line', {
        x1: x(m.at),
        x2: x(m.at),
        y1: pad.top,
        y2: pad.top + plotH,
        stroke: color,
        'stroke-dasharray': '4 3',
      }),
    );
    parts.push(text(x(m.at) + 3, pad.top + 12, m.label, { fill: color }));
  }
  let lx = pad.left;
  for (const s of o.series) {
    parts.push(el('rect', { x: lx, y: height - 14, width: 10, height: 3, fill: s.color }));
    parts.push(text(lx + 14, height - 10, s.name));
    lx += 24 + s.name.length * 6.5;
  }
  return frame(o.title, width, height, parts);
}

export interface HistogramOptions {
  title: string;
  width?: number;
  height?: number;
  bins: { label: string; count: number }[];
  xLabel: string;
}

export function histogram(o: HistogramOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 220;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const max = Math.max(1, ...o.bins.map((b) => b.count));
  const barW = plotW / Math.max(1, o.bins.length);
  const parts: string[] = [];
  for (const t of niceTicks(0, max, 4).filter((t) => Number.isInteger(t))) {
    const yy = pad.top + plotH - (t / max) * plotH;
    parts.push(el('line', { x1: pad.left, x2: pad.left + plotW, y1: yy, y2: yy, stroke: '#e5e5e5' }));
    parts.push(text(pad.left - 6, yy + 4, String(t), { 'text-anchor': 'end' }));
  }
  const labelEvery = Math.max(1, Math.ceil(o.bins.length / 8));
  o.bins.forEach((b, i) => {
    const h = (b.count / max) * plotH;
    parts.push(
      el('rect', {
        x: pad.left + i * barW + 1,
        y: pad.top + plotH - h,
        width: Math.max(1, barW - 2),
        height: h,
        fill: '#3b6ea8',
      }),
    );
    if (i % labelEvery === 0) parts.push(text(pad.left + i * barW, pad.top + plotH + 16, b.label));
  });
  parts.push(
    el('rect', { x: pad.left, y: pad.top, width: plotW, height: plotH, fill: 'none', stroke: '#999' }),
  );
  parts.push(text(pad.left + plotW / 2, height - 8, o.xLabel, { 'text-anchor': 'middle' }));
  return frame(o.title, width, height, parts);
}
