import { api, type AnalysisResponse, type ChangeDetail } from './api.ts';
import { h, replaceChildren, status, type Child } from './dom.ts';
import { formatPercent, formatTime } from './format.ts';

export type Suspect = AnalysisResponse['suspects'][number];

/** A commit by its sha, a recorded change event by its id: `GET /api/v1/changes/:id` takes either. */
export const changeId = (s: Suspect) => ('sha' in s ? s.sha : s.id);

export interface SuspectListOptions {
  /** Controls shown under each suspect's reasons (an incident's verdict buttons). */
  actions?: (suspect: Suspect) => Child;
}

export function suspectList(suspects: Suspect[], options: SuspectListOptions = {}): HTMLElement {
  if (suspects.length === 0) {
    return h(
      'p',
      { class: 'muted' },
      'No suspects: either no site-wide onset was found, or no configuration repository is set (ONSET_GIT_REPO).',
    );
  }
  return h(
    'ol',
    { class: 'suspects' },
    suspects.map((s, i) => {
      const diff = h('div', { class: 'diff', id: `diff-${i}`, hidden: true });
      const toggle = h(
        'button',
        { type: 'button', 'aria-expanded': 'false', 'aria-controls': `diff-${i}` },
        'Show diff',
      );
      let loaded = false;
      toggle.addEventListener('click', async () => {
        const open = diff.hidden;
        diff.hidden = !open;
        toggle.setAttribute('aria-expanded', String(open));
        toggle.textContent = open ? 'Hide diff' : 'Show diff';
        if (!open || loaded) return;
        loaded = true;
        replaceChildren(diff, status('Loading the diff…'));
        try {
          replaceChildren(
            diff,
            changeView(await api<ChangeDetail>(`/api/v1/changes/${encodeURIComponent(changeId(s))}`)),
          );
        } catch (err) {
          loaded = false;
          replaceChildren(diff, status(`Could not load the diff: ${(err as Error).message}`, 'error'));
        }
      });
      return h(
        'li',
        { class: 'suspect' },
        h(
          'div',
          { class: 'suspect-head' },
          h('span', { class: 'score', title: 'score' }, formatPercent(s.score)),
          h(
            'code',
            { class: 'sha' },
            s.kind === 'commit' ? changeId(s).slice(0, 10) : `event ${changeId(s)}`,
          ),
          h('strong', { class: 'subject' }, s.subject),
        ),
        h(
          'p',
          { class: 'muted' },
          s.landed_at ? `landed ${formatTime(Date.parse(s.landed_at))}` : '',
          ` · ${evidenceLine(s)}`,
        ),
        s.reasons.length > 0
          ? h(
              'ul',
              { class: 'reasons' },
              s.reasons.map((r) => h('li', null, r)),
            )
          : null,
        options.actions?.(s),
        toggle,
        diff,
      );
    }),
  );
}

function evidenceLine(s: Suspect): string {
  const e = s.evidence;
  const lag = Math.abs(e.lag_ms) / 60_000;
  const lagText = lag < 90 ? `${Math.round(lag)} min` : `${(lag / 60).toFixed(1)} h`;
  return [
    `${lagText} ${e.lag_ms >= 0 ? 'before' : 'after'} the onset`,
    `reaches ${e.affected_reached} of ${e.affected_total} affected hosts${e.reach_approximate ? ' (approximately)' : ''}`,
    e.reverted_by ? `reverted by ${e.reverted_by.slice(0, 10)}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

const maxPatchLines = 5000;

export function changeView(c: ChangeDetail): HTMLElement {
  const lines = (c.patch ?? '').split('\n');
  const shown = lines.slice(0, maxPatchLines);
  const pre = h('pre', { class: 'patch', tabindex: 0, 'aria-label': 'Patch' });
  for (const line of shown) {
    const kind =
      line.startsWith('+++') || line.startsWith('---')
        ? 'file'
        : line.startsWith('+')
          ? 'add'
          : line.startsWith('-')
            ? 'del'
            : line.startsWith('@@')
              ? 'hunk'
              : '';
    pre.appendChild(h('span', kind ? { class: kind } : null, `${line}\n`));
  }
  return h(
    'div',
    { class: 'change' },
    h(
      'p',
      null,
      h('strong', null, c.subject ?? c.title ?? ''),
      c.author ? ` by ${c.author}` : '',
      c.landed_at ? `, landed ${formatTime(Date.parse(c.landed_at))}` : '',
    ),
    c.body ? h('pre', { class: 'commit-body' }, c.body) : null,
    c.files && c.files.length > 0
      ? h(
          'table',
          { class: 'files' },
          h('caption', null, `${c.files.length} ${c.files.length === 1 ? 'file' : 'files'}`),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              h('th', { scope: 'col' }, 'file'),
              h('th', { scope: 'col' }, '+'),
              h('th', { scope: 'col' }, '−'),
            ),
          ),
          h(
            'tbody',
            null,
            c.files.map((f) =>
              h(
                'tr',
                null,
                h('td', null, h('code', null, f.path)),
                h('td', { class: 'add' }, f.additions ?? '·'),
                h('td', { class: 'del' }, f.deletions ?? '·'),
              ),
            ),
          ),
        )
      : null,
    pre,
    lines.length > maxPatchLines || c.patch_truncated
      ? h('p', { class: 'muted' }, 'The patch is cut short here; the repository has all of it.')
      : null,
  );
}
