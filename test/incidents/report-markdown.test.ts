import { describe, expect, it } from 'vitest';
import type { FleetData, HostData } from '../../server/analysis/analysis.models.ts';
import type { AnalysisResponse } from '../../server/analysis/analysis.schemas.ts';
import type { Incident } from '../../server/incidents/incidents.service.ts';
import { md, renderReport } from '../../server/report/report.markdown.ts';
import { escapeXml, lineChart } from '../../server/report/svg.ts';
import { headingsOf, reportSections, svgBlocks, xmlProblems } from './xml-check.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const from = Date.UTC(2017, 5, 25, 16);
const to = from + 30 * HOUR;
const onset = from + 14 * HOUR;
const evil = '<script>alert("x")</script> & *bold* | [link](javascript:alert(1))';
const culprit = '90e9a79d2970d185d4bb68519e8873d1fcd28a70';
const revertSha = 'aa11bb22cc33dd44ee55ff6677889900aabbccdd';
const iso = (ms: number) => new Date(ms).toISOString();

function host(name: string, leak: number | null): HostData {
  const ts: number[] = [];
  const total: number[] = [];
  const free: number[] = [];
  for (let t = from + 150_000; t < to; t += 5 * MINUTE) {
    ts.push(t);
    total.push(4 * 2 ** 30);
    const grown = leak !== null && t > leak ? ((t - leak) / HOUR) * 40 * 2 ** 20 : 0;
    free.push(2 * 2 ** 30 - grown);
  }
  return {
    host: name,
    labels: { role: 'web', note: evil },
    series: new Map([
      ['node_memory_MemTotal_bytes', { ts: Float64Array.from(ts), values: Float64Array.from(total) }],
      ['node_memory_MemFree_bytes', { ts: Float64Array.from(ts), values: Float64Array.from(free) }],
    ]),
  };
}

const affected = Array.from({ length: 6 }, (_, i) => ({ host: `web-00${i}`, onset: onset + i * 7 * MINUTE }));
const fleet: FleetData = {
  from,
  to,
  hosts: [...affected.map((h) => host(h.host, h.onset)), host('mail-001', null), host('mail-002', null)],
};

const growth = { share: 0.82, bytes: 6e9, rate_per_hour: 40 * 2 ** 20, step: 0 };
const analysis = {
  from: iso(from),
  to: iso(to),
  hosts_total: 8,
  onset: {
    ts: iso(onset),
    hosts_affected: affected.length,
    hosts: affected.map((h) => ({
      host: h.host,
      onset: iso(h.onset),
      uncertainty: { from: iso(h.onset - MINUTE), to: iso(h.onset + MINUTE) },
    })),
    hosts_seen: 8,
    series: 'node_memory_SReclaimable_bytes',
    median: iso(onset + 17 * MINUTE),
    spread_minutes: { p10: 0, p50: 17, p90: 35 },
    p_value: 1e-9,
    background_per_host_day: 0.01,
  },
  components: [{ metric: 'node_memory_SReclaimable_bytes', ...growth }],
  suspects: [
    {
      sha: culprit,
      kind: 'commit' as const,
      score: 0.93,
      landed_at: iso(onset - 2 * MINUTE),
      subject: evil,
      reasons: [`reaches every host ${evil}`],
      evidence: {
        lag_ms: 2 * MINUTE,
        hosts_reached: 8,
        affected_reached: 6,
        affected_total: 6,
        unreached_changed: 0,
        unreached_total: 0,
        explained_hosts: 6,
        timing_violations: 0,
        reach_approximate: false,
        timing_log10_bf: 4.2,
        scope_log10_bf: 1.1,
        prior_log10: 0,
      },
    },
  ],
  summary: 'slab (dentry) grew',
  used: growth,
  other: null,
  unaccounted: { ...growth, share: 0.9 },
  slab_caches: [{ slab: 'dentry', share_of_slab: 0.95, ...growth }],
  process_groups: [{ group: evil, ...growth, share: 0.01 }],
  timings_ms: { read_ms: 1, analyze_ms: 1, rank_ms: 1 },
} as unknown as AnalysisResponse;

const incident: Incident = {
  id: 7,
  title: `Dentry leak ${evil}`,
  status: 'mitigated',
  notes: `Dropped caches on web-001.\n${evil}`,
  source: 'alertmanager',
  from,
  to,
  analysis,
  analyzedAt: to,
  firstAlertAt: onset + 3 * HOUR,
  lastAlertAt: onset + 3 * HOUR + 5 * MINUTE,
  createdAt: onset + 3 * HOUR,
  updatedAt: onset + 4 * HOUR,
  verdicts: [
    {
      changeId: culprit,
      verdict: 'confirmed',
      landedAt: onset - 2 * MINUTE,
      onsetAt: onset,
      decidedBy: 'env:read',
      decidedAt: to,
    },
  ],
  alerts: affected.slice(0, 3).map((h, i) => ({
    fingerprint: `f${i}`,
    startsAt: onset + 3 * HOUR + i * MINUTE,
    endsAt: null,
    status: 'firing',
    alertname: 'HostMemoryUsageHigh',
    host: h.host,
    labels: { alertname: 'HostMemoryUsageHigh' },
    annotations: { summary: evil },
    receivedAt: to,
  })),
};

const commits = [
  { sha: 'bb'.repeat(20), subject: 'docs: runbook', author: 'Maria', landedAt: onset - 30 * MINUTE },
  { sha: culprit, subject: evil, author: `Tom ${evil}`, landedAt: onset - 2 * MINUTE },
  {
    sha: revertSha,
    subject: 'Revert "fleet_api grain"',
    author: 'Lena',
    landedAt: onset + 6 * HOUR,
    revertOf: culprit,
  },
];

describe('the postmortem report', () => {
  const report = renderReport({ incident, fleet, commits, generatedAt: to + HOUR });

  it('has its sections in order, and reads as plain text', () => {
    expect(headingsOf(report)).toEqual(['# Incident 7', ...reportSections]);
    expect(report).toMatch(/6 of 8 hosts started using more memory from 2017-06-26 06:00 UTC/);
    expect(report).toContain('confirmed by a responder');
    // The timeline: commits around the onset, the first onset, the spread, the alerts and the revert.
    const timeline = report.slice(report.indexOf('## Timeline'), report.indexOf('## Affected hosts'));
    expect(timeline).toMatch(/Commit `90e9a79d2970` lands \(suspect #1\)/);
    expect(timeline).toMatch(/\*\*First onset\*\*/);
    expect(timeline).toMatch(/90% of the affected hosts have started: the spread is 35 min/);
    expect(timeline).toMatch(/\*\*First alert\*\*/);
    expect(timeline).toMatch(/\*\*Revert\*\* `aa11bb22cc33` lands/);
    expect(report).toMatch(/\| web-000 \| note=.*, role=web \| 2017-06-26 06:00 \| \+0 min \| yes \|/);
    expect(report).toMatch(/\| `node_memory_SReclaimable_bytes` \| 82% \|/);
    expect(report).toMatch(/\| `dentry` \| 95% \|/);
    expect(report).toMatch(/Memory no process accounts for .* the kernel holds it/);
    expect(report).toMatch(/### 1\. `90e9a79d2970`/);
    expect(report).toMatch(/reverted by `aa11bb22cc33`/);
    // Tables keep their column count: escaped pipes do not split cells.
    for (const line of report.split('\n').filter((l) => l.startsWith('| web-000'))) {
      expect(line.split(/(?<!\\)\|/).length).toBe(7);
    }
  });

  it('draws well-formed SVG charts: used memory with the onset marked, and the onset spread', () => {
    const svgs = svgBlocks(report);
    expect(svgs).toHaveLength(2);
    for (const svg of svgs) {
      expect(xmlProblems(svg)).toEqual([]);
      // One HTML block each in Markdown: no blank line inside.
      expect(svg).not.toMatch(/\n\s*\n/);
    }
    expect(svgs[0]).toContain('>onset</text>');
    expect(svgs[0]).toContain('>revert</text>');
    expect(svgs[0]).toMatch(/<polyline /);
    expect(svgs[1]).toMatch(/Onset spread/);
  });

  it('escapes untrusted text: commit subjects, authors, labels, alert annotations, notes', () => {
    // Escaped with a backslash, they stay text in every CommonMark renderer.
    expect(report).not.toMatch(/(?<!\\)<\/?script/i);
    expect(report).not.toMatch(/(?<!\\)\]\(javascript:/);
    expect(report).toContain('\\<script\\>');
    const outsideSvg = report.replace(/<svg[\s\S]*?<\/svg>/g, '');
    expect(outsideSvg).not.toMatch(/(?<!\\)</);
    expect(md('a|b\n# c <d>')).toBe('a\\|b \\# c \\<d\\>');
    const chart = lineChart({
      title: evil,
      from,
      to,
      series: [
        {
          name: evil,
          color: '#000',
          points: [
            [from, 1],
            [to, 2],
          ],
        },
      ],
      markers: [{ at: onset, label: evil }],
      formatX: () => evil,
      formatY: () => evil,
    });
    expect(xmlProblems(chart)).toEqual([]);
    expect(chart).not.toContain('<script');
    expect(escapeXml('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });

  it('says so when there is no onset', () => {
    const quiet = renderReport({
      incident: {
        ...incident,
        analysis: { ...analysis, onset: null, suspects: [], components: [] },
        alerts: [],
      },
      fleet,
      commits: [],
      generatedAt: to,
    });
    expect(quiet).toMatch(/No change in memory growth was shared/);
    expect(svgBlocks(quiet)).toEqual([]);
  });
});
