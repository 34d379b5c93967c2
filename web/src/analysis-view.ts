/**
 * Views of an analysis answer shared by *What changed?* (a live analysis) and an incident page (the
 * analysis saved with the incident). Every string from the data becomes text, never markup.
 */
import type { AnalysisResponse } from './api.ts';
import { h } from './dom.ts';
import {
  formatBytes,
  formatMinutes,
  formatPercent,
  formatPValue,
  formatTime,
  shortMetric,
} from './format.ts';
import { href } from './router.ts';
import { windowParams, type TimeWindow } from './time-window.ts';

export function section(id: string, title: string, ...content: (Node | null)[]): HTMLElement {
  return h(
    'section',
    { class: `card ${id}`, 'aria-labelledby': `h-${id}` },
    h('h2', { id: `h-${id}` }, title),
    content,
  );
}

export function onsetSummary(a: AnalysisResponse): HTMLElement {
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

export function earliestHosts(a: AnalysisResponse, w: TimeWindow): HTMLElement {
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

export function whatGrew(a: AnalysisResponse): HTMLElement {
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
