import { earliestHosts, onsetSummary, section, whatGrew } from '../analysis-view.ts';
import { api, query, type AnalysisResponse, type HeatmapResponse, type IncidentResponse } from '../api.ts';
import { heatmapChart } from '../charts/heatmap.ts';
import { onsetHistogram } from '../charts/onset-histogram.ts';
import { stackedChart } from '../charts/stacked-chart.ts';
import { h, replaceChildren, status } from '../dom.ts';
import { shortMetric } from '../format.ts';
import { navigate, type PageContext } from '../router.ts';
import { suspectList } from '../suspects.ts';
import { apiWindow, windowFromParams, windowParams, windowPicker, type TimeWindow } from '../time-window.ts';

const nextPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

export async function whatChangedPage({ main, route, signal }: PageContext): Promise<void> {
  const w = windowFromParams(route.params);
  const results = h('div', { class: 'results', 'aria-busy': 'true' }, status('Analysing the fleet…'));
  replaceChildren(
    main,
    h('div', { class: 'page-head' }, h('h1', null, 'What changed?'), saveAsIncident(w)),
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

/**
 * Saves this window's analysis as an incident (the server runs it again and keeps the answer) and opens
 * it. A read session may: an incident is a responder's record, not data.
 */
function saveAsIncident(w: TimeWindow): HTMLElement {
  const message = h('span', { class: 'save-status', role: 'status' });
  const button = h('button', { type: 'button', class: 'save-incident' }, 'Save as incident');
  button.addEventListener('click', async () => {
    button.disabled = true;
    message.className = 'save-status muted';
    message.textContent = 'Saving the analysis…';
    try {
      const incident = await api<IncidentResponse>('/api/v1/incidents', {
        method: 'POST',
        body: JSON.stringify(apiWindow(w)),
      });
      navigate(['incidents', String(incident.id)]);
    } catch (err) {
      button.disabled = false;
      message.className = 'save-status error';
      message.textContent = `Could not save the incident: ${err instanceof Error ? err.message : String(err)}`;
    }
  });
  return h('div', { class: 'page-actions' }, button, message);
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
