import { formatTime } from '../http/params.ts';
import type { AnalysisReport } from './analysis.service.ts';
import type { GrowthResult } from './analyze-fleet.ts';

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function growth(g: GrowthResult) {
  return {
    share: round(g.share),
    bytes: Math.round(g.bytes),
    rate_per_hour: Math.round(g.rate_per_hour),
    step: Math.round(g.step),
  };
}

/** The answer of `GET /api/v1/analysis`: the contract's fields first, then the rest, times in RFC 3339. */
export function toAnalysisResponse(r: AnalysisReport) {
  const o = r.onset;
  return {
    from: formatTime(r.from),
    to: formatTime(r.to),
    hosts_total: r.hosts_total,
    onset: o && {
      ts: formatTime(o.ts),
      hosts_affected: o.hosts_affected,
      hosts: o.hosts.map((h) => ({
        host: h.host,
        onset: formatTime(h.onset),
        uncertainty: { from: formatTime(h.lo), to: formatTime(h.hi) },
      })),
      hosts_seen: o.hosts_seen,
      series: o.series,
      median: formatTime(o.median),
      spread_minutes: {
        p10: round((o.spread.p10 - o.ts) / 60_000, 1),
        p50: round((o.spread.p50 - o.ts) / 60_000, 1),
        p90: round((o.spread.p90 - o.ts) / 60_000, 1),
      },
      p_value: o.p_value,
      background_per_host_day: round(o.background_per_host_day, 4),
    },
    components: r.components.map((c) => ({ metric: c.metric, ...growth(c) })),
    suspects: r.suspects.map((s) => ({
      ...(s.kind === 'commit' ? { sha: s.id } : { id: s.id }),
      kind: s.kind,
      score: round(s.score),
      landed_at: formatTime(s.landed_at),
      subject: s.subject,
      reasons: s.reasons,
      evidence: s.evidence,
    })),
    summary: r.summary,
    used: r.used && growth(r.used),
    other: r.other && growth(r.other),
    unaccounted: r.unaccounted && growth(r.unaccounted),
    slab_caches: r.slab_caches.map((s) => ({
      slab: s.slab,
      share_of_slab: round(s.share_of_slab),
      ...growth(s),
    })),
    process_groups: r.process_groups.map((g) => ({ group: g.group, ...growth(g) })),
    timings_ms: r.timings,
  };
}

export type AnalysisResponse = ReturnType<typeof toAnalysisResponse>;
