import { api, type IncidentSummaryResponse } from '../api.ts';
import { h, replaceChildren, status } from '../dom.ts';
import { formatTime } from '../format.ts';
import { href, type PageContext } from '../router.ts';

export const statusLabels: Record<IncidentSummaryResponse['status'], string> = {
  open: 'open',
  mitigated: 'mitigated',
  resolved: 'resolved',
};

export function statusBadge(value: IncidentSummaryResponse['status']): HTMLElement {
  return h('span', { class: `badge status-${value}` }, statusLabels[value]);
}

/** `2017-06-25 08:00 – 2017-06-26 14:09 UTC`: both ends in the one time zone the UI shows. */
export function windowText(from: string, to: string): string {
  return `${formatTime(Date.parse(from), false)} – ${formatTime(Date.parse(to))}`;
}

/** Saved incidents, newest first: from *What changed?* or opened by Alertmanager. */
export async function incidentsPage({ main, signal }: PageContext): Promise<void> {
  replaceChildren(main, h('h1', null, 'Incidents'), status('Loading incidents…'));
  const { incidents } = await api<{ incidents: IncidentSummaryResponse[] }>('/api/v1/incidents?limit=200', {
    signal,
  });
  if (signal.aborted) return;
  if (incidents.length === 0) {
    replaceChildren(
      main,
      h('h1', null, 'Incidents'),
      h(
        'p',
        { class: 'muted empty' },
        'No incidents yet. Save one from ',
        h('a', { href: href([]) }, 'What changed?'),
        ', or let Alertmanager open them when memory alerts fire across the fleet.',
      ),
    );
    return;
  }
  const col = (text: string) => h('th', { scope: 'col' }, text);
  replaceChildren(
    main,
    h('h1', null, 'Incidents'),
    h(
      'div',
      { class: 'table-scroll card' },
      h(
        'table',
        { class: 'incidents' },
        h(
          'caption',
          { class: 'muted' },
          `${incidents.length} ${incidents.length === 1 ? 'incident' : 'incidents'}, newest first`,
        ),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            col('incident'),
            col('status'),
            col('window'),
            col('onset'),
            col('hosts affected'),
            col('top suspect'),
            col('alerts'),
            col('created'),
          ),
        ),
        h(
          'tbody',
          null,
          incidents.map((i) =>
            h(
              'tr',
              { class: 'incident-row' },
              h(
                'th',
                { scope: 'row' },
                h('a', { href: href(['incidents', String(i.id)]), class: 'incident-title' }, i.title),
                h('span', { class: 'muted' }, ` #${i.id}`),
              ),
              h('td', null, statusBadge(i.status)),
              h('td', { class: 'nowrap' }, windowText(i.from, i.to)),
              h('td', { class: 'nowrap' }, i.onset ? formatTime(Date.parse(i.onset)) : '—'),
              h('td', null, i.onset ? `${i.hosts_affected} of ${i.hosts_total}` : `none of ${i.hosts_total}`),
              h(
                'td',
                { class: 'top-suspect' },
                i.top_suspect
                  ? [
                      h(
                        'code',
                        { class: 'sha' },
                        'sha' in i.top_suspect ? i.top_suspect.sha.slice(0, 10) : `event ${i.top_suspect.id}`,
                      ),
                      ' ',
                      i.top_suspect.subject,
                    ]
                  : h('span', { class: 'muted' }, 'none'),
              ),
              h('td', null, i.alerts),
              h('td', { class: 'nowrap' }, formatTime(Date.parse(i.created_at))),
            ),
          ),
        ),
      ),
    ),
  );
}
