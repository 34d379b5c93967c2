import { api, query, type AnalysisResponse, type HeatmapResponse } from '../api.ts';
import { heatmapChart } from '../charts/heatmap.ts';
import { onsetHistogram } from '../charts/onset-histogram.ts';
import { stackedChart } from '../charts/stacked-chart.ts';
import { h, replaceChildren, status } from '../dom.ts';
import {
  formatBytes,
  formatMinutes,
  formatPercent,
  formatPValue,
  formatTime,
  shortMetric,
} from '../format.ts';
import { href, navigate, type PageContext } from '../router.ts';
import { suspectList } from '../suspects.ts';
import { apiWindow, windowFromParams, windowParams, windowPicker, type TimeWindow } from '../time-window.ts';

const nextPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

export async function whatChangedPage({ main, route, signal }: PageContext): Promise<void> {
  const w = windowFromParams(route.params);
  const results = h('div', { class: 'results', 'aria-busy': 'true' }, status('Analysing the fleet…'));
  replaceChildren(
    main,
    h('h1', null, 'What changed?'),
    windowPicker(w, (next) => navigate([], windowParams(next))),
    results,
  );
  const q = query(apiWindow(w));
  const [analysis, heat] = await Promise.all([
    api<AnalysisResponse>(`/api/v1/analysis?${q}`, { signal }),
    api<HeatmapResponse>(`/api/v1/analysis/heatmap?${q}`, { signal }),
  ]);
  if (signal.aborted) return;
  // The UI's own cost, from data in hand to pixels on screen: what the 1,000-host benchmark reads.
  const started = performance.now();
  const cleanups = renderResults(results, analysis, heat, w);
  signal.addEventListener('abort', () => cleanups.forEach((c) => c()), { once: true });
  results.setAttribute('aria-busy', 'false');
  await nextPaint();
  const measure = performance.measure('onset:render', { start: started, end: performance.now() });
  results.dataset.renderMs = measure.duration.toFixed(1);
}

function renderResults(
  results: HTMLElement,
  a: AnalysisResponse,
  heat: HeatmapResponse,
  w: TimeWindow,
): (() => void)[] {
  const cleanups: (() => void)[] = [];
  const onsets = new Map((a.onset?.hosts ?? []).map((o) => [o.host, Date.parse(o.onset)]));
  const fleetOnset = a.onset ? Date.parse(a.onset.ts) : undefined;
  const openHost = (host: string) => navigate(['hosts', host], windowParams(w));

  const heatmap = heatmapChart({ heat, onsets, fleetOnset, onSelect: openHost });
  cleanups.push(heatmap.destroy);
  const histogram = h('div', { class: 'chart' });
  const composition = h('div', { class: 'chart' });

  replaceChildren(
    results,
    section('onset', 'Fleet onset', onsetSummary(a)),
    section(
      'heatmap',
      'Used memory, host by host',
      heat.hosts.length === 0
        ? h('p', { class: 'muted' }, 'No host sent memory samples in this window.')
        : heatmap.element,
    ),
    a.onset ? section('spread', 'Spread of onsets', histogram, earliestHosts(a, w)) : null,
    section('grew', 'What grew', compositionFigure(heat, composition), whatGrew(a)),
    section('suspects', 'Suspects', suspectList(a.suspects)),
  );
  if (a.onset && fleetOnset !== undefined)
    cleanups.push(onsetHistogram(histogram, [...onsets.values()], fleetOnset));
  if (heat.composition.length > 0) {
    const from = Date.parse(heat.from);
    const step = heat.step_seconds * 1000;
    const chart = stackedChart(
      composition,
      {
        times: Array.from({ length: heat.columns }, (_, c) => from + (c + 0.5) * step),
        parts: heat.composition.map((p) => ({ label: shortMetric(p.metric), values: p.values })),
      },
      260,
    );
    if (fleetOnset !== undefined) chart.markOnset({ at: fleetOnset });
    cleanups.push(chart.destroy);
  }
  return cleanups;
}

function section(id: string, title: string, ...content: (Node | null)[]): HTMLElement {
  return h(
    'section',
    { class: `card ${id}`, 'aria-labelledby': `h-${id}` },
    h('h2', { id: `h-${id}` }, title),
    content,
  );
}

function onsetSummary(a: AnalysisResponse): HTMLElement {
  const o = a.onset;
  const summary = h('p', { class: 'summary' }, a.summary);
  if (!o) {
    return h(
      'div',
      null,
      h('p', { class: 'onset-none' }, `No site-wide change among ${a.hosts_total} hosts in this window.`),
      summary,
    );
  }
  const item = (term: string, ...value: (string | Node)[]) => [h('dt', null, term), h('dd', null, value)];
  return h(
    'div',
    null,
    h(
      'dl',
      { class: 'facts' },
      item('Onset', h('time', { datetime: o.ts, class: 'onset-time' }, formatTime(Date.parse(o.ts)))),
      item(
        'Hosts affected',
        `${o.hosts_affected} of ${o.hosts_seen} seen`,
        a.hosts_total !== o.hosts_seen ? ` (${a.hosts_total} reporting)` : '',
      ),
      item(
        'Spread after onset',
        `p10 ${formatMinutes(o.spread_minutes.p10)} · p50 ${formatMinutes(o.spread_minutes.p50)} · p90 ${formatMinutes(o.spread_minutes.p90)}`,
      ),
      item('p-value', formatPValue(o.p_value)),
      item('Series', shortMetric(o.series)),
    ),
    summary,
  );
}

function earliestHosts(a: AnalysisResponse, w: TimeWindow): HTMLElement {
  const first = [...(a.onset?.hosts ?? [])]
    .sort((x, y) => Date.parse(x.onset) - Date.parse(y.onset))
    .slice(0, 8);
  return h(
    'details',
    null,
    h('summary', null, 'Earliest hosts'),
    h(
      'ol',
      { class: 'earliest' },
      first.map((o) =>
        h(
          'li',
          null,
          h('a', { href: href(['hosts', o.host], windowParams(w)) }, o.host),
          ` ${formatTime(Date.parse(o.onset))}`,
        ),
      ),
    ),
  );
}

interface GrowthRow {
  name: string;
  share: number;
  bytes: number;
  rate_per_hour: number;
}

function growthTable(caption: string, rows: GrowthRow[], shareLabel = 'share of growth'): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, `${caption}: nothing grew.`);
  // Scrolls sideways rather than spilling into its neighbour on a narrow screen.
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'growth' },
      h('caption', null, caption),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'name'),
          h('th', { scope: 'col' }, shareLabel),
          h('th', { scope: 'col' }, 'grew'),
          h('th', { scope: 'col' }, 'rate per host'),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map((r) => {
          const bar = h('span', { class: 'bar' });
          bar.style.width = `${Math.max(0, Math.min(1, r.share)) * 100}%`;
          return h(
            'tr',
            null,
            h('th', { scope: 'row' }, h('code', null, r.name)),
            h('td', { class: 'share' }, h('span', { class: 'bar-track' }, bar), formatPercent(r.share)),
            h('td', null, formatBytes(r.bytes)),
            h('td', null, `${formatBytes(r.rate_per_hour)}/h`),
          );
        }),
      ),
    ),
  );
}

function compositionFigure(heat: HeatmapResponse, chart: HTMLElement): HTMLElement | null {
  if (heat.composition.length === 0) return null;
  return h(
    'figure',
    { class: 'composition' },
    chart,
    h(
      'figcaption',
      { class: 'muted' },
      `Used memory of the average host (over the ${heat.hosts.length} hosts that sent memory), part by part; dashed line: the fleet onset.`,
    ),
  );
}

function whatGrew(a: AnalysisResponse): HTMLElement {
  const top = <T>(rows: T[]) => rows.slice(0, 10);
  return h(
    'div',
    { class: 'grew-grid' },
    growthTable(
      'Memory components',
      top(a.components).map((c) => ({ ...c, name: shortMetric(c.metric) })),
    ),
    growthTable(
      'Slab caches',
      top(a.slab_caches).map((s) => ({ ...s, name: s.slab })),
    ),
    growthTable(
      'Process groups',
      top(a.process_groups).map((g) => ({ ...g, name: g.group })),
    ),
    a.unaccounted
      ? h(
          'p',
          { class: 'muted' },
          `Not held by any process: ${formatPercent(a.unaccounted.share)} of the growth (${formatBytes(a.unaccounted.bytes)}).`,
        )
      : null,
  );
}
