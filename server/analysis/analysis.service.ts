import { rankChanges, type CandidateChange, type Suspect } from '../changes/ranking.ts';
import type { SaltHost } from '../changes/salt/reach.ts';
import type { Db } from '../db/database.ts';
import type { FleetData } from './analysis.models.ts';
import { readFleetMeans } from './analysis.repository.ts';
import { analyzeFleet, type FleetAnalysis } from './analyze-fleet.ts';
import { MEMORY_COMPONENTS, PROCESS_RESIDENT_TOTAL } from './host-onset.ts';

/** The metrics the fleet analysis reads: used memory, its components, slab caches and process groups. */
export const analysisMetrics = [
  'node_memory_MemTotal_bytes',
  'node_memory_MemFree_bytes',
  ...MEMORY_COMPONENTS,
  'node_slabinfo_objects',
  'node_slabinfo_object_size_bytes',
  'namedprocess_namegroup_memory_bytes',
  PROCESS_RESIDENT_TOTAL,
];

export interface AnalysisWindow {
  from: number;
  to: number;
}

export interface AnalysisReport extends FleetAnalysis {
  suspects: Suspect[];
  timings: { read_ms: number; analyze_ms: number; rank_ms: number };
}

/** Where candidate changes come from: the configuration repository and recorded change events. */
export interface ChangeSource {
  candidates(input: { from: number; to: number; hosts: SaltHost[] }): Promise<CandidateChange[]>;
}

/** How far before the first onset a change may have landed and still be ranked: slow leaks show late. */
export const candidateLookbackMs = 3 * 86_400_000;
const clockSkewMs = 10 * 60_000;

export interface AnalysisService {
  analyze(window: AnalysisWindow): Promise<AnalysisReport>;
  /** The fleet data an analysis of the window works on (for exports and the web UI's heatmap). */
  fleet(window: AnalysisWindow): Promise<FleetData>;
}

export interface AnalysisDeps {
  changes?: ChangeSource;
  /** Lags (first onset − landed at, ms) of culprits responders confirmed: they teach the ranking. */
  confirmedLags?: () => Promise<number[]>;
}

export function createAnalysisService(db: Db, deps: AnalysisDeps = {}): AnalysisService {
  const fleet = (w: AnalysisWindow) => readFleetMeans(db, { ...w, metrics: analysisMetrics });
  return {
    fleet,
    async analyze(w) {
      const started = performance.now();
      const data = await fleet(w);
      const read = performance.now();
      const analysis = analyzeFleet(data);
      const analyzed = performance.now();
      let suspects: Suspect[] = [];
      if (analysis.onset && deps.changes) {
        const candidates = await deps.changes.candidates({
          from: analysis.onset.ts - candidateLookbackMs,
          to: analysis.onset.ts + clockSkewMs,
          hosts: data.hosts.map((h) => ({ id: h.host, labels: h.labels })),
        });
        const confirmedLags = deps.confirmedLags ? await deps.confirmedLags() : [];
        suspects = rankChanges({ analysis, candidates, confirmedLags });
      }
      return {
        ...analysis,
        suspects,
        timings: {
          read_ms: Math.round(read - started),
          analyze_ms: Math.round(analyzed - read),
          rank_ms: Math.round(performance.now() - analyzed),
        },
      };
    },
  };
}
