import type { HeatmapResponse } from '../api.ts';
import { h } from '../dom.ts';
import { formatBytes, formatTime } from '../format.ts';
import { buildLut, lutCss } from './colour-scale.ts';

export interface HeatmapInput {
  heat: HeatmapResponse;
  /** Host → its own onset, epoch ms. */
  onsets: Map<string, number>;
  fleetOnset: number | undefined;
  onSelect(host: string): void;
}

const axisPx = 22;
const missing = 0xff_2a_2a_2a;
const lut = buildLut();

/** Affected hosts first, earliest onset on top, so a rollout reads as a diagonal; then the rest by name. */
export function orderRows(heat: HeatmapResponse, onsets: Map<string, number>) {
  return [...heat.hosts].sort((a, b) => {
    const oa = onsets.get(a.host);
    const ob = onsets.get(b.host);
    if (oa !== undefined && ob !== undefined && oa !== ob) return oa - ob;
    if (oa !== undefined && ob === undefined) return -1;
    if (oa === undefined && ob !== undefined) return 1;
    return a.host < b.host ? -1 : a.host > b.host ? 1 : 0;
  });
}

/**
 * Hosts × time on one canvas: the cells are painted once into an image of one pixel each, then scaled,
 * so a thousand hosts cost one drawImage and a thousand onset ticks per redraw.
 */
export function heatmapChart(input: HeatmapInput): { element: HTMLElement; destroy(): void } {
  const { heat, onsets, fleetOnset } = input;
  const rows = orderRows(heat, onsets);
  const from = Date.parse(heat.from);
  const to = Date.parse(heat.to);
  const columns = heat.columns;
  const stepMs = heat.step_seconds * 1000;
  const rowPx = Math.max(1, Math.min(14, Math.floor(600 / Math.max(1, rows.length))));
  const plotHeight = rows.length * rowPx;

  const cells = document.createElement('canvas');
  cells.width = columns;
  cells.height = Math.max(1, rows.length);
  const cellCtx = cells.getContext('2d');
  if (cellCtx && rows.length > 0) {
    const image = cellCtx.createImageData(columns, rows.length);
    const words = new Uint32Array(image.data.buffer);
    rows.forEach((row, r) => {
      const base = r * columns;
      for (let c = 0; c < columns; c++) {
        const v = row.values[c];
        words[base + c] =
          v === null || v === undefined ? missing : (lut[Math.max(0, Math.min(100, v))] as number);
      }
    });
    cellCtx.putImageData(image, 0, 0);
  }

  const affected = rows.filter((r) => onsets.has(r.host)).length;
  const canvas = h('canvas', {
    class: 'heatmap-canvas',
    tabindex: 0,
    role: 'img',
    'aria-label': `Heatmap of used memory, ${rows.length} hosts by ${columns} time steps, ${affected} hosts with an onset at the top. Arrow keys move between hosts; Enter opens one.`,
  });
  const tooltip = h('div', { class: 'heatmap-tooltip', hidden: true });
  const live = h('p', { class: 'heatmap-live', 'aria-live': 'polite' });
  const wrapper = h('div', { class: 'heatmap' }, canvas, tooltip);
  const element = h(
    'figure',
    { class: 'heatmap-figure' },
    wrapper,
    h(
      'figcaption',
      null,
      legend(),
      ' Each row is a host, scaled between its own lowest and highest used memory (MemTotal − MemFree). ',
      'White ticks: each host’s onset; dashed line: the fleet onset. Click a row to open the host.',
    ),
    live,
  );
  let width = 0;
  let selected = -1;

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    width = Math.max(200, wrapper.clientWidth);
    const height = plotHeight + axisPx;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = false;
    if (rows.length > 0) ctx.drawImage(cells, 0, 0, width, plotHeight);
    const x = (t: number) => ((t - from) / (to - from)) * width;
    ctx.fillStyle = '#fff';
    const tick = Math.max(1, Math.min(3, rowPx));
    rows.forEach((row, r) => {
      const onset = onsets.get(row.host);
      if (onset !== undefined) ctx.fillRect(x(onset) - tick / 2, r * rowPx, tick, rowPx);
    });
    if (fleetOnset !== undefined) {
      ctx.strokeStyle = '#d6336c';
      ctx.lineWidth = 2;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(x(fleetOnset), 0);
      ctx.lineTo(x(fleetOnset), plotHeight);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (selected >= 0) {
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1;
      ctx.strokeRect(0.5, selected * rowPx - 0.5, width - 1, rowPx + 1);
    }
    drawAxis(ctx, from, to, width, plotHeight);
  }

  function describe(r: number, c: number | undefined): string {
    const row = rows[r];
    if (!row) return '';
    const onset = onsets.get(row.host);
    const parts = [row.host];
    if (c !== undefined) {
      const v = row.values[c];
      parts.push(
        formatTime(from + c * stepMs),
        v === null || v === undefined ? 'no data' : `${v}% of its range`,
      );
    }
    parts.push(`used ${formatBytes(row.min_bytes)} – ${formatBytes(row.max_bytes)}`);
    parts.push(onset === undefined ? 'no onset' : `onset ${formatTime(onset)}`);
    return parts.join(' · ');
  }

  function at(event: MouseEvent) {
    const rect = canvas.getBoundingClientRect();
    const px = event.clientX - rect.left;
    const py = event.clientY - rect.top;
    const r = Math.floor(py / rowPx);
    const c = Math.floor((px / width) * columns);
    return { px, py, r, c, inside: r >= 0 && r < rows.length && c >= 0 && c < columns };
  }

  canvas.addEventListener('mousemove', (event) => {
    const p = at(event);
    if (!p.inside) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = describe(p.r, p.c);
    tooltip.hidden = false;
    tooltip.style.left = `${Math.min(p.px + 12, width - 260)}px`;
    tooltip.style.top = `${p.py + 12}px`;
  });
  canvas.addEventListener('mouseleave', () => {
    tooltip.hidden = true;
  });
  canvas.addEventListener('click', (event) => {
    const p = at(event);
    const row = p.inside ? rows[p.r] : undefined;
    if (row) input.onSelect(row.host);
  });
  canvas.addEventListener('keydown', (event) => {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 20, PageUp: -20 };
    const move = moves[event.key];
    if (move !== undefined) {
      event.preventDefault();
      selected = Math.max(0, Math.min(rows.length - 1, selected + move));
      live.textContent = describe(selected, undefined);
      draw();
    } else if (event.key === 'Enter' && rows[selected]) {
      input.onSelect((rows[selected] as { host: string }).host);
    }
  });

  const observer = new ResizeObserver(() => {
    if (wrapper.clientWidth !== width) draw();
  });
  observer.observe(wrapper);
  return { element, destroy: () => observer.disconnect() };
}

function drawAxis(ctx: CanvasRenderingContext2D, from: number, to: number, width: number, top: number) {
  const spans = [3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000, 2 * 86_400_000];
  const span = spans.find((s) => (to - from) / s <= width / 110) ?? 7 * 86_400_000;
  ctx.fillStyle = getComputedStyle(ctx.canvas).color || '#888';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  for (let t = Math.ceil(from / span) * span; t < to; t += span) {
    const x = ((t - from) / (to - from)) * width;
    ctx.fillRect(x, top, 1, 4);
    const label = span >= 86_400_000 ? formatTime(t, false).slice(0, 10) : formatTime(t, false).slice(5);
    ctx.fillText(label, Math.min(x + 2, width - 70), top + 6);
  }
}

function legend(): HTMLElement {
  const swatches = [0, 25, 50, 75, 100].map((i) => {
    const s = h('span', { class: 'swatch' });
    s.style.background = lutCss(lut, i);
    return s;
  });
  return h('span', { class: 'heat-legend' }, 'low ', swatches, ' high.');
}
