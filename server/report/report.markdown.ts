/**
 * The postmortem of an incident as plain Markdown: it reads well as text, renders on any CommonMark
 * viewer, and keeps its charts as inline SVG at the end. Pure: it reads only its argument. Every piece of
 * text that came from outside (commit subjects, authors, host labels, alerts, notes) goes through `md`
 * or `escapeXml`, so none of it can become markup.
 */
import type { FleetData } from '../analysis/analysis.models.ts';
import type { AnalysisResponse } from '../analysis/analysis.schemas.ts';
import type { Incident } from '../incidents/incidents.service.ts';
import { onsetSpreadChart, usedMemoryChart } from './report.charts.ts';
import type { Marker } from './svg.ts';

export interface ReportCommit {
  sha: string;
  subject: string;
  author: string;
  landedAt: number;
  /** The sha this commit reverts, when it says so. */
  revertOf?: string | undefined;
}

export interface ReportInput {
  incident: Incident;
  /** The incident's window as stored now, for the charts and host labels; empty when no data is left. */
  fleet: FleetData;
  /** Commits that landed around the onset, in time order. */
  commits: ReportCommit[];
  generatedAt: number;
}

type Suspect = AnalysisResponse['suspects'][number];

const MINUTE = 60_000;
const maxHostRows = 500;
const maxAlertRows = 100;
const maxSuspects = 5;

// eslint-disable-next-line no-control-regex
const controlRun = /[\u0000-\u001f\u007f]+/g;

/** Untrusted text on one line: Markdown and HTML punctuation escaped, line breaks and controls dropped. */
export function md(text: string): string {
  return text
    .replace(controlRun, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*_[\]<>|~#!&]/g, (ch) => `\\${ch}`);
}

/** Untrusted text as a code span: literal in Markdown, so only backticks, pipes and line breaks matter. */
export function code(text: string): string {
  const clean = text.replace(controlRun, ' ').replace(/`/g, "'").replace(/\|/g, '¦').trim();
  return `\`${clean === '' ? ' ' : clean}\``;
}

/** Untrusted text over several lines (notes): each line escaped, kept as a block quote. */
function mdBlock(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => `> ${md(line)}`.trimEnd())
    .join('\n');
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `2017-06-26 06:51 UTC`, with seconds when there are any. */
export function when(ms: number): string {
  const d = new Date(ms);
  const secs = d.getUTCSeconds();
  return (
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}${secs === 0 ? '' : `:${pad2(secs)}`} UTC`
  );
}

const clock = (ms: number) => {
  const d = new Date(ms);
  return `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
};

export function bytes(n: number): string {
  const abs = Math.abs(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = abs;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${n < 0 ? '−' : ''}${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const short = (sha: string) => sha.slice(0, 12);
const suspectId = (s: Suspect) => ('sha' in s && s.sha !== undefined ? s.sha : 'id' in s ? (s.id ?? '') : '');
const duration = (ms: number) => {
  const m = Math.round(ms / MINUTE);
  if (Math.abs(m) < 120) return `${m} min`;
  const h = m / 60;
  return Math.abs(h) < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} days`;
};

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function labelsText(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? '' : entries.map(([k, v]) => `${md(k)}=${md(v)}`).join(', ');
}

function headline(a: AnalysisResponse, verdicts: Incident['verdicts']): string {
  const o = a.onset;
  if (o === null) {
    return `No change in memory growth was shared by a significant part of the fleet (${a.hosts_total} hosts) between ${when(Date.parse(a.from))} and ${when(Date.parse(a.to))}.`;
  }
  const parts = [
    `${o.hosts_affected} of ${a.hosts_total} hosts started using more memory from ${when(Date.parse(o.ts))}; half of them within ${o.spread_minutes.p50} min and 90% within ${o.spread_minutes.p90} min of the first.`,
  ];
  const top = a.components[0];
  if (top) parts.push(`Most of the growth is ${code(top.metric)} (${pct(top.share)}).`);
  const slab = a.slab_caches[0];
  if (slab && top && /SReclaimable|SUnreclaim|Slab/.test(top.metric)) {
    parts.push(
      `The slab cache that grew most is ${code(slab.slab)} (${pct(slab.share_of_slab)} of the slab growth).`,
    );
  }
  const confirmed = verdicts.find((v) => v.verdict === 'confirmed');
  const suspect = a.suspects.find((s) => suspectId(s) === confirmed?.changeId) ?? a.suspects[0];
  if (suspect) {
    const judged =
      confirmed && suspectId(suspect) === confirmed.changeId
        ? 'confirmed by a responder'
        : `score ${suspect.score}`;
    parts.push(`Most likely cause: \`${short(suspectId(suspect))}\` "${md(suspect.subject)}" (${judged}).`);
  } else {
    parts.push('No change in the configuration repository explains it.');
  }
  return parts.join(' ');
}

interface TimelineEntry {
  at: number;
  what: string;
}

function timeline(input: ReportInput, revert: ReportCommit | undefined): TimelineEntry[] {
  const { incident, commits } = input;
  const a = incident.analysis;
  const o = a.onset;
  const entries: TimelineEntry[] = [];
  const rank = new Map(a.suspects.map((s, i) => [suspectId(s), i + 1]));
  if (o !== null) {
    const first = Date.parse(o.ts);
    const firstHost = [...o.hosts].sort((x, y) => Date.parse(x.onset) - Date.parse(y.onset))[0];
    entries.push({
      at: first,
      what:
        `**First onset**: memory growth starts, dated by the affected hosts together` +
        (firstHost ? `; the earliest, ${md(firstHost.host)}, at ${when(Date.parse(firstHost.onset))}.` : '.'),
    });
    entries.push({
      at: Date.parse(o.median),
      what: `Half of the ${o.hosts_affected} affected hosts have started (median onset).`,
    });
    entries.push({
      at: first + o.spread_minutes.p90 * MINUTE,
      what: `90% of the affected hosts have started: the spread is ${o.spread_minutes.p90} min.`,
    });
    // Commits close to the onset, and every suspect wherever it landed.
    for (const c of commits) {
      const n = rank.get(c.sha);
      const close = c.landedAt >= first - 3 * 60 * MINUTE && c.landedAt <= first + 30 * MINUTE;
      if (!close && n === undefined) continue;
      if (c === revert) continue;
      const tag = n === undefined ? '' : ` (suspect #${n})`;
      entries.push({
        at: c.landedAt,
        what: `Commit \`${short(c.sha)}\` lands${tag}: "${md(c.subject)}" by ${md(c.author)}.`,
      });
    }
  }
  const firing = incident.alerts;
  if (firing.length > 0) {
    const hosts = new Set(firing.map((x) => x.host ?? x.fingerprint));
    const [first] = firing;
    const last = firing.at(-1);
    if (first) {
      entries.push({
        at: first.startsAt,
        what: `**First alert**: ${md(first.alertname)}${first.host ? ` on ${md(first.host)}` : ''}.`,
      });
    }
    if (last && firing.length > 1) {
      entries.push({
        at: last.startsAt,
        what: `Last alert so far: ${firing.length} alerts from ${hosts.size} hosts in ${duration(last.startsAt - (first?.startsAt ?? last.startsAt))}.`,
      });
    }
  }
  if (revert) {
    entries.push({
      at: revert.landedAt,
      what: `**Revert** \`${short(revert.sha)}\` lands: "${md(revert.subject)}" by ${md(revert.author)}.`,
    });
  }
  entries.push({
    at: incident.createdAt,
    what: `Incident opened (${incident.source === 'alertmanager' ? 'by Alertmanager' : 'by a responder'}).`,
  });
  return entries.sort((x, y) => x.at - y.at);
}

function suspectSection(
  s: Suspect,
  i: number,
  input: ReportInput,
  revertOf: Map<string, ReportCommit>,
): string {
  const id = suspectId(s);
  const verdict = input.incident.verdicts.find((v) => v.changeId === id)?.verdict;
  const commit = input.commits.find((c) => c.sha === id);
  const e = s.evidence;
  const revert = revertOf.get(id);
  const facts = [
    `score ${s.score}`,
    `landed ${when(Date.parse(s.landed_at))}`,
    ...(commit ? [`by ${md(commit.author)}`] : []),
    `verdict: ${verdict ?? 'none yet'}`,
  ];
  const evidence = [
    `lag from landing to the first onset: ${duration(e.lag_ms)}`,
    `reaches ${e.hosts_reached} hosts${e.reach_approximate ? ' (approximately)' : ''}, ${e.affected_reached} of the ${e.affected_total} affected`,
    `affected hosts it does not reach: ${e.unreached_changed} of ${e.unreached_total} unreached`,
    `hosts whose onset it explains: ${e.explained_hosts}; onsets before it landed: ${e.timing_violations}`,
    `log10 Bayes factors against "none of these": timing ${e.timing_log10_bf}, scope ${e.scope_log10_bf}; prior ${e.prior_log10}`,
    ...(revert ? [`reverted by \`${short(revert.sha)}\` at ${when(revert.landedAt)}`] : []),
  ];
  return [
    `### ${i + 1}. ${code(short(id))} ${md(s.subject)}`,
    '',
    `${s.kind === 'commit' ? 'Commit' : 'Change event'} ${code(id)}: ${facts.join(' · ')}.`,
    '',
    'Evidence:',
    '',
    ...evidence.map((x) => `- ${x}`),
    '',
    'Reasons:',
    '',
    ...(s.reasons.length > 0 ? s.reasons.map((r) => `- ${md(r)}`) : ['- (none given)']),
  ].join('\n');
}

export function renderReport(input: ReportInput): string {
  const { incident } = input;
  const a = incident.analysis;
  const o = a.onset;
  const out: string[] = [];
  const push = (...lines: string[]) => out.push(...lines, '');
  const suspects = a.suspects.slice(0, maxSuspects);
  const suspectIds = new Set(a.suspects.map(suspectId));
  const revertOf = new Map<string, ReportCommit>();
  for (const c of input.commits) {
    if (c.revertOf === undefined) continue;
    for (const id of suspectIds) if (id.startsWith(c.revertOf) && !revertOf.has(id)) revertOf.set(id, c);
  }
  const topRevert = suspects[0] && revertOf.get(suspectId(suspects[0]));
  const confirmed = incident.verdicts.find((v) => v.verdict === 'confirmed');
  const revert = (confirmed && revertOf.get(confirmed.changeId)) ?? topRevert;

  push(`# Incident ${incident.id}: ${md(incident.title)}`);
  push(
    `- Status: ${incident.status}`,
    `- Opened: ${when(incident.createdAt)} (${incident.source === 'alertmanager' ? 'from Alertmanager alerts' : 'by a responder'})`,
    `- Window analysed: ${when(incident.from)} to ${when(incident.to)} (analysed ${when(incident.analyzedAt)})`,
    `- Report generated: ${when(input.generatedAt)} by onset`,
  );

  push('## Summary');
  push(headline(a, incident.verdicts));
  if (a.summary) push(`Analysis: ${md(a.summary)}`);
  if (incident.notes.trim() !== '') push('Responders\u2019 notes:', mdBlock(incident.notes));

  push('## Timeline');
  const entries = timeline(input, revert);
  push(
    table(
      ['Time (UTC)', 'What happened'],
      entries.map((e) => [when(e.at).replace(' UTC', ''), e.what]),
    ),
  );
  if (o !== null) push('Charts of the used memory and the onset spread are at the end of this report.');

  push('## Affected hosts');
  if (o === null) {
    push('No host is part of a fleet-wide onset.');
  } else {
    const labels = new Map(input.fleet.hosts.map((h) => [h.host, h.labels]));
    const alerting = new Set(incident.alerts.map((x) => x.host));
    const first = Date.parse(o.ts);
    const rows = [...o.hosts]
      .sort((x, y) => Date.parse(x.onset) - Date.parse(y.onset) || (x.host < y.host ? -1 : 1))
      .slice(0, maxHostRows)
      .map((h) => [
        md(h.host),
        labelsText(labels.get(h.host)),
        when(Date.parse(h.onset)).replace(' UTC', ''),
        `+${Math.round((Date.parse(h.onset) - first) / MINUTE)} min`,
        alerting.has(h.host) ? 'yes' : '',
      ]);
    push(
      `${o.hosts_affected} of ${a.hosts_total} hosts (${pct(o.hosts_affected / Math.max(1, a.hosts_total))}), first onset first:`,
    );
    push(table(['Host', 'Labels', 'Onset (UTC)', 'After first', 'Alerted'], rows));
    if (o.hosts.length > maxHostRows)
      push(`… and ${o.hosts.length - maxHostRows} more hosts (see the incident in the API).`);
  }

  push('## What grew');
  if (a.components.length === 0) {
    push('Nothing grew across the fleet.');
  } else {
    if (a.used)
      push(
        `Used memory on the affected hosts grew by ${bytes(a.used.bytes)} in all (median ${bytes(a.used.rate_per_hour)} an hour per host).`,
      );
    const growthTables: [
      string,
      string,
      string,
      { name: string; share: number; bytes: number; rate: number }[],
    ][] = [
      [
        'Memory components, by share of the growth in used memory:',
        'Component',
        'Share',
        a.components.map((c) => ({
          name: code(c.metric),
          share: c.share,
          bytes: c.bytes,
          rate: c.rate_per_hour,
        })),
      ],
      [
        'Slab caches:',
        'Slab cache',
        'Share of slab growth',
        a.slab_caches.map((c) => ({
          name: code(c.slab),
          share: c.share_of_slab,
          bytes: c.bytes,
          rate: c.rate_per_hour,
        })),
      ],
      [
        'Process groups (resident memory):',
        'Process group',
        'Share',
        a.process_groups.map((g) => ({
          name: md(g.group),
          share: g.share,
          bytes: g.bytes,
          rate: g.rate_per_hour,
        })),
      ],
    ];
    for (const [caption, what, share, rows] of growthTables) {
      if (rows.length === 0) continue;
      push(caption);
      push(
        table(
          [what, share, 'Growth', 'Median rate per host'],
          rows.slice(0, 12).map((r) => [r.name, pct(r.share), bytes(r.bytes), `${bytes(r.rate)}/h`]),
        ),
      );
    }
    if (a.unaccounted) {
      push(
        `Memory no process accounts for (used minus all resident memory) grew by ${bytes(a.unaccounted.bytes)}, ${pct(a.unaccounted.share)} of the growth: ${a.unaccounted.share >= 0.5 ? 'the kernel holds it, not a process' : 'processes hold most of it'}.`,
      );
    }
  }

  push('## Suspects');
  if (suspects.length === 0) {
    push(
      o === null
        ? 'No onset, so no change is ranked.'
        : 'No change in the configuration repository explains the onset.',
    );
  } else {
    push(
      'Changes that landed before the onset, most likely first; the score is the posterior probability against the others and "none of these".',
    );
    for (const [i, s] of suspects.entries()) push(suspectSection(s, i, input, revertOf));
    if (a.suspects.length > maxSuspects)
      push(`… and ${a.suspects.length - maxSuspects} less likely suspects.`);
  }

  if (incident.alerts.length > 0) {
    push('## Alerts');
    push(
      table(
        ['Started (UTC)', 'Host', 'Alert', 'Status', 'Summary'],
        incident.alerts
          .slice(0, maxAlertRows)
          .map((x) => [
            when(x.startsAt).replace(' UTC', ''),
            md(x.host ?? ''),
            md(x.alertname),
            md(x.status),
            md(x.annotations['summary'] ?? x.annotations['description'] ?? ''),
          ]),
      ),
    );
    if (incident.alerts.length > maxAlertRows)
      push(`… and ${incident.alerts.length - maxAlertRows} more alerts.`);
  }

  if (o !== null) {
    const markers: Marker[] = [{ at: Date.parse(o.ts), label: 'onset', color: '#c0392b' }];
    const firstAlert = incident.alerts[0];
    if (firstAlert) markers.push({ at: firstAlert.startsAt, label: 'first alert', color: '#d68910' });
    if (revert) markers.push({ at: revert.landedAt, label: 'revert', color: '#1e8449' });
    push('## Charts');
    push('Used memory, mean per host, affected hosts against the rest, with the first onset marked:');
    push(
      usedMemoryChart({
        fleet: input.fleet,
        affected: new Set(o.hosts.map((h) => h.host)),
        markers,
        formatX: clock,
      }),
    );
    push('How the onsets spread after the first one:');
    push(onsetSpreadChart(o.hosts.map((h) => Date.parse(h.onset))));
  }
  return `${out.join('\n').trimEnd()}\n`;
}
