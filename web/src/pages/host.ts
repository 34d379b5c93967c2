import { api, query, type AnalysisResponse, type HostsResponse, type SeriesResponse } from '../api.ts';
import { hostChartMetrics, memoryChart } from '../charts/memory-chart.ts';
import { h, replaceChildren, status } from '../dom.ts';
import { formatTime } from '../format.ts';
import { labelChips } from '../labels.ts';
import { href, navigate, type PageContext } from '../router.ts';
import { apiWindow, windowFromParams, windowParams, windowPicker } from '../time-window.ts';

export async function hostPage({ main, route, signal }: PageContext, name: string): Promise<void> {
  const w = windowFromParams(route.params);
  const chart = h('div', { class: 'chart' });
  const facts = h('div', null, status('Loading…'));
  const heading = h('h1', null, name);
  replaceChildren(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: href(['hosts']) }, 'Hosts'), ' / '),
    heading,
    windowPicker(w, (next) => navigate(['hosts', name], windowParams(next))),
    facts,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'h-memory' },
      h('h2', { id: 'h-memory' }, 'Memory'),
      chart,
    ),
  );
  const win = apiWindow(w);
  const seriesQuery = `${query({ host: name, ...win })}&${hostChartMetrics.map((m) => `metric=${encodeURIComponent(m)}`).join('&')}`;
  // The onset is a bonus that takes longer: the chart does not wait for it, nor fail with it.
  const analysis = api<AnalysisResponse>(`/api/v1/analysis?${query(win)}`, { signal }).catch(() => undefined);
  const [series, hosts] = await Promise.all([
    api<SeriesResponse>(`/api/v1/series?${seriesQuery}`, { signal }),
    api<HostsResponse>('/api/v1/hosts', { signal }),
  ]);
  if (signal.aborted) return;
  const host = hosts.hosts.find((x) => x.name === name);
  const onsetLine = h('p', { class: 'host-onset', role: 'status' }, 'Looking for its onset…');
  replaceChildren(facts, host ? labelChips(host.labels) : null, onsetLine);
  const drawn = series.series.length === 0 ? undefined : memoryChart(chart, series);
  if (drawn) signal.addEventListener('abort', drawn.destroy, { once: true });
  else replaceChildren(chart, h('p', { class: 'muted' }, 'No memory samples in this window.'));

  const a = await analysis;
  if (signal.aborted) return;
  const own = a?.onset?.hosts.find((o) => o.host === name);
  onsetLine.textContent = own
    ? `Onset ${formatTime(Date.parse(own.onset))} (between ${formatTime(Date.parse(own.uncertainty.from))} and ${formatTime(Date.parse(own.uncertainty.to))})`
    : a === undefined
      ? 'The analysis of this window failed; no onset to show.'
      : a.onset
        ? 'This host shows no part in the fleet onset.'
        : 'No fleet onset in this window.';
  if (own && drawn) {
    drawn.markOnset({
      at: Date.parse(own.onset),
      from: Date.parse(own.uncertainty.from),
      to: Date.parse(own.uncertainty.to),
    });
  }
}
