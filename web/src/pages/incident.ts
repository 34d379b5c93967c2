import { earliestHosts, onsetSummary, section, whatGrew } from '../analysis-view.ts';
import { api, type IncidentResponse, type IncidentStatus, type Verdict } from '../api.ts';
import { onsetHistogram } from '../charts/onset-histogram.ts';
import { h, replaceChildren, status } from '../dom.ts';
import { formatTime } from '../format.ts';
import { href, type PageContext } from '../router.ts';
import { changeId, suspectList, type Suspect } from '../suspects.ts';
import type { TimeWindow } from '../time-window.ts';
import { statusBadge, statusLabels, windowText } from './incidents.ts';

/**
 * One incident: what responders wrote (title, status, notes), the analysis as it was saved, a verdict on
 * each suspect, the alerts that opened it, and its postmortem as Markdown.
 */
export async function incidentPage({ main, signal }: PageContext, idText: string): Promise<void> {
  replaceChildren(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: href(['incidents']) }, 'Incidents'), ' / '),
    status('Loading the incident…'),
  );
  if (!/^\d{1,9}$/.test(idText)) {
    replaceChildren(main, status(`No incident ${idText}.`, 'error'));
    return;
  }
  const incident = await api<IncidentResponse>(`/api/v1/incidents/${idText}`, { signal });
  if (signal.aborted) return;
  const cleanups = renderIncident(main, incident);
  signal.addEventListener('abort', () => cleanups.forEach((c) => c()), { once: true });
}

function renderIncident(main: HTMLElement, incident: IncidentResponse): (() => void)[] {
  const cleanups: (() => void)[] = [];
  const a = incident.analysis;
  const w: TimeWindow = { from: Date.parse(incident.from), to: Date.parse(incident.to), range: undefined };
  const heading = h('h1', { class: 'incident-heading' }, incident.title);
  const badge = h('span', { class: 'incident-status' }, statusBadge(incident.status));
  const histogram = h('div', { class: 'chart' });
  const onsets = (a.onset?.hosts ?? []).map((o) => Date.parse(o.onset));

  replaceChildren(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: href(['incidents']) }, 'Incidents'), ` / #${incident.id}`),
    h('div', { class: 'page-head' }, heading, badge),
    h(
      'div',
      { class: 'page-actions' },
      h(
        'a',
        {
          class: 'button export-report',
          href: `/api/v1/incidents/${incident.id}/report.md`,
          download: `incident-${incident.id}.md`,
        },
        'Export postmortem (Markdown)',
      ),
      h(
        'a',
        { href: href([], { from: incident.from, to: incident.to }) },
        'Open this window in What changed?',
      ),
    ),
    incidentFacts(incident),
    responderForm(incident, (saved) => {
      heading.textContent = saved.title;
      replaceChildren(badge, statusBadge(saved.status));
    }),
    section('onset', 'Fleet onset', onsetSummary(a)),
    a.onset ? section('spread', 'Spread of onsets', histogram, earliestHosts(a, w)) : null,
    section('grew', 'What grew', whatGrew(a)),
    section(
      'suspects',
      'Suspects',
      h(
        'p',
        { class: 'muted' },
        'Confirm the change that caused this incident, reject the ones that did not: confirmed culprits teach the ranking how long this fleet’s changes take to show.',
      ),
      suspectList(a.suspects, { actions: verdictControls(incident) }),
    ),
    incident.alerts.length > 0 ? section('alerts', 'Alerts', alertTable(incident)) : null,
  );
  if (a.onset) cleanups.push(onsetHistogram(histogram, onsets, Date.parse(a.onset.ts)));
  return cleanups;
}

function incidentFacts(i: IncidentResponse): HTMLElement {
  const item = (term: string, ...value: (string | Node)[]) => [h('dt', null, term), h('dd', null, value)];
  return h(
    'dl',
    { class: 'facts incident-facts' },
    item('Window', windowText(i.from, i.to)),
    item('Opened by', i.source === 'alertmanager' ? 'Alertmanager' : 'a responder'),
    item('Created', formatTime(Date.parse(i.created_at))),
    item('Analysed', formatTime(Date.parse(i.analyzed_at))),
    i.first_alert_at
      ? item(
          'Alerts',
          `${i.alerts.length}, first ${formatTime(Date.parse(i.first_alert_at))}`,
          i.last_alert_at ? `, last ${formatTime(Date.parse(i.last_alert_at))}` : '',
        )
      : null,
  );
}

/** Title, status and notes, saved together; only what changed is sent. */
function responderForm(incident: IncidentResponse, onSaved: (saved: IncidentResponse) => void): HTMLElement {
  let saved = { title: incident.title, status: incident.status, notes: incident.notes };
  const title = h('input', {
    id: 'incident-title',
    type: 'text',
    value: saved.title,
    required: true,
    maxlength: 300,
    autocomplete: 'off',
  });
  const select = h(
    'select',
    { id: 'incident-status' },
    (Object.keys(statusLabels) as IncidentStatus[]).map((s) =>
      h('option', { value: s, selected: s === saved.status }, statusLabels[s]),
    ),
  );
  const notes = h('textarea', {
    id: 'incident-notes',
    rows: 8,
    maxlength: 100_000,
    placeholder: 'What responders found and did: mitigations, the revert, who was told.',
  });
  // A textarea's text is its value, set as a property: the notes never pass through markup.
  notes.value = saved.notes;
  const message = h('span', { class: 'save-status', role: 'status' });
  const button = h('button', { type: 'submit' }, 'Save');
  return h(
    'section',
    { class: 'card responders', 'aria-labelledby': 'h-responders' },
    h('h2', { id: 'h-responders' }, 'Responders'),
    h(
      'form',
      {
        class: 'incident-form',
        onsubmit: async (event: Event) => {
          event.preventDefault();
          const patch: Record<string, string> = {};
          if (title.value.trim() !== saved.title) patch.title = title.value.trim();
          if (select.value !== saved.status) patch.status = select.value;
          if (notes.value !== saved.notes) patch.notes = notes.value;
          if (Object.keys(patch).length === 0) {
            message.className = 'save-status muted';
            message.textContent = 'Nothing to save.';
            return;
          }
          button.disabled = true;
          message.className = 'save-status muted';
          message.textContent = 'Saving…';
          try {
            const updated = await api<IncidentResponse>(`/api/v1/incidents/${incident.id}`, {
              method: 'PATCH',
              body: JSON.stringify(patch),
            });
            saved = { title: updated.title, status: updated.status, notes: updated.notes };
            title.value = updated.title;
            onSaved(updated);
            message.textContent = `Saved ${formatTime(Date.parse(updated.updated_at))}.`;
          } catch (err) {
            message.className = 'save-status error';
            message.textContent = `Could not save: ${err instanceof Error ? err.message : String(err)}`;
          } finally {
            button.disabled = false;
          }
        },
      },
      h('label', { for: 'incident-title' }, 'Title'),
      title,
      h('label', { for: 'incident-status' }, 'Status'),
      select,
      h('label', { for: 'incident-notes' }, 'Notes'),
      notes,
      h('div', { class: 'form-actions' }, button, message),
    ),
  );
}

const verdictLabels: Record<Verdict, string> = { confirmed: 'Confirm culprit', rejected: 'Reject' };

/** Confirm or reject buttons for each suspect, showing the verdict the incident holds. */
function verdictControls(incident: IncidentResponse): (s: Suspect) => HTMLElement {
  const verdicts = new Map(incident.verdicts.map((v) => [v.sha, v]));
  return (s) => {
    const id = changeId(s);
    const current = h('span', { class: 'verdict-status', role: 'status' });
    const buttons = (Object.keys(verdictLabels) as Verdict[]).map((verdict) =>
      h(
        'button',
        { type: 'button', 'data-verdict': verdict, 'aria-pressed': 'false' },
        verdictLabels[verdict],
      ),
    );
    const show = (v: IncidentResponse['verdicts'][number] | undefined) => {
      for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.verdict === v?.verdict));
      current.className = `verdict-status${v ? ` verdict-${v.verdict}` : ' muted'}`;
      current.textContent = v
        ? `${v.verdict === 'confirmed' ? 'Confirmed culprit' : 'Rejected'} ${formatTime(Date.parse(v.decided_at))}`
        : 'No verdict yet';
    };
    show(verdicts.get(id));
    for (const b of buttons) {
      b.addEventListener('click', async () => {
        for (const x of buttons) x.disabled = true;
        try {
          const updated = await api<IncidentResponse>(
            `/api/v1/incidents/${incident.id}/suspects/${encodeURIComponent(id)}`,
            { method: 'POST', body: JSON.stringify({ verdict: b.dataset.verdict }) },
          );
          show(updated.verdicts.find((v) => v.sha === id));
        } catch (err) {
          current.className = 'verdict-status error';
          current.textContent = `Could not record the verdict: ${err instanceof Error ? err.message : String(err)}`;
        } finally {
          for (const x of buttons) x.disabled = false;
        }
      });
    }
    return h(
      'div',
      { class: 'verdict' },
      h('div', { role: 'group', 'aria-label': 'Verdict', class: 'verdict-buttons' }, buttons),
      current,
    );
  };
}

function alertTable(i: IncidentResponse): HTMLElement {
  const col = (text: string) => h('th', { scope: 'col' }, text);
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'alerts' },
      h('thead', null, h('tr', null, col('alert'), col('host'), col('status'), col('since'), col('summary'))),
      h(
        'tbody',
        null,
        i.alerts.map((a) =>
          h(
            'tr',
            null,
            h('td', null, a.alertname),
            h(
              'td',
              null,
              a.host ? h('a', { href: href(['hosts', a.host], { from: i.from, to: i.to }) }, a.host) : '—',
            ),
            h('td', null, a.status),
            h('td', { class: 'nowrap' }, formatTime(Date.parse(a.starts_at))),
            h(
              'td',
              { class: 'alert-summary' },
              a.annotations['summary'] ?? a.annotations['description'] ?? '',
            ),
          ),
        ),
      ),
    ),
  );
}
