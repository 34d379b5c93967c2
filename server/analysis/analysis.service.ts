import { rankChanges, type CandidateChange, type Suspect } from '../changes/ranking.ts';
import type { SaltHost } from '../changes/salt/reach.ts';
import type { Db } from '../db/database.ts';
import type { FleetData } from './analysis.models.ts';
import { type FleetQuery, listFleetHosts, readFleetMeans, readHostGrids } from './analysis.repository.ts';
import {
  analyzeHost,
  combineHosts,
  type AnalyzeOptions,
  type FleetAnalysis,
  type HostResult,
  detectsKey,
} from './analyze-fleet.ts';
import { createDetectPool, type DetectPool } from './detect-pool.ts';
import { MEMORY_COMPONENTS, PROCESS_RESIDENT_TOTAL } from './host-onset.ts';
import { type HostGrids, hostSeries } from './slot-grid.ts';

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
  /** Stops the detection workers, if any started. */
  close?(): Promise<void>;
}

export interface AnalysisDeps {
  changes?: ChangeSource;
  /** Lags (first onset − landed at, ms) of culprits responders confirmed: they teach the ranking. */
  confirmedLags?: () => Promise<number[]>;
  /** Worker threads for per-host detection; 0 or 1 detects on the calling thread. */
  workers?: number;
  /** Hosts read per query; reading the next batch overlaps detection of the current one. */
  batchHosts?: number;
  options?: AnalyzeOptions;
}

// A few hundred hosts a read: enough that a query's fixed cost is small, few enough that detection starts
// early and a batch's rows (about 12 MiB of hex text at 200 hosts) stay small.
const DEFAULT_BATCH_HOSTS = 200;

interface Detected {
  results: HostResult[];
  /** Time spent reading, and from the first batch read to the last detected: they overlap. */
  read_ms: number;
  analyze_ms: number;
  /** Grids of the hosts the fleet step may ask for again: those with a growth onset where it looks. */
  kept: Map<string, HostGrids>;
}

/**
 * Reads the fleet in batches of hosts and runs per-host detection on each while the next is read. Only
 * hosts that have a growth onset on a series the fleet step reads keep their grids (attribution reads
 * the affected hosts' series again); the others' are dropped once detected.
 */
async function detectFleet(
  db: Db,
  q: FleetQuery,
  batchHosts: number,
  detect: (hosts: HostGrids[]) => Promise<HostResult[]>,
): Promise<Detected> {
  const hosts = await listFleetHosts(db, q);
  const batches: (typeof hosts)[] = [];
  for (let i = 0; i < hosts.length; i += batchHosts) batches.push(hosts.slice(i, i + batchHosts));
  const kept = new Map<string, HostGrids>();
  const results: HostResult[][] = [];
  const detecting: Promise<void>[] = [];
  let readMs = 0;
  let firstRead = NaN;
  const read = async (i: number) => {
    const t = performance.now();
    const grids = await readHostGrids(db, q, batches[i] ?? []);
    readMs += performance.now() - t;
    if (Number.isNaN(firstRead)) firstRead = performance.now();
    return grids;
  };
  let next = batches.length > 0 ? read(0) : null;
  for (let i = 0; next; i++) {
    const grids = await next;
    next = i + 1 < batches.length ? read(i + 1) : null;
    const done = detect(grids).then((r) => {
      results[i] = r;
      r.forEach((h, k) => {
        if (h.series.some(([key, s]) => s.onsets.length > 0 && detectsKey(key)))
          kept.set(h.host, grids[k] as HostGrids);
      });
    });
    // Nothing may stay unobserved if a later read fails first.
    done.catch(() => {});
    detecting.push(done);
  }
  await Promise.all(detecting);
  const analyzeMs = Number.isNaN(firstRead) ? 0 : performance.now() - firstRead;
  return { results: results.flat(), read_ms: readMs, analyze_ms: analyzeMs, kept };
}

export function createAnalysisService(db: Db, deps: AnalysisDeps = {}): AnalysisService {
  const fleet = (w: AnalysisWindow) => readFleetMeans(db, { ...w, metrics: analysisMetrics });
  const options = deps.options ?? {};
  const workers = deps.workers ?? 0;
  let pool: DetectPool | null = null;
  const detect = async (hosts: HostGrids[], w: AnalysisWindow): Promise<HostResult[]> => {
    if (workers <= 1) {
      // Let the next batch's query go out first: PostgreSQL reads it while this thread detects.
      await new Promise((resolve) => setImmediate(resolve));
      return hosts.map((h) => analyzeHost(hostSeries(h, w.from, w.to), options));
    }
    pool ??= createDetectPool(workers);
    return pool.detect(hosts, w, { detect: options.detect });
  };
  return {
    fleet,
    async close() {
      await pool?.close();
      pool = null;
    },
    async analyze(w) {
      const q = { from: w.from, to: w.to, metrics: analysisMetrics };
      const detected = await detectFleet(db, q, deps.batchHosts ?? DEFAULT_BATCH_HOSTS, (hosts) =>
        detect(hosts, w),
      );
      const fleetStep = performance.now();
      const analysis = combineHosts(
        w,
        detected.results,
        (host) => {
          const grids = detected.kept.get(host);
          return grids && hostSeries(grids, w.from, w.to);
        },
        options,
      );
      const analyzed = performance.now();
      let suspects: Suspect[] = [];
      if (analysis.onset && deps.changes) {
        const candidates = await deps.changes.candidates({
          from: analysis.onset.ts - candidateLookbackMs,
          to: analysis.onset.ts + clockSkewMs,
          hosts: detected.results.map((h) => ({ id: h.host, labels: h.labels })),
        });
        const confirmedLags = deps.confirmedLags ? await deps.confirmedLags() : [];
        suspects = rankChanges({ analysis, candidates, confirmedLags });
      }
      return {
        ...analysis,
        suspects,
        // Reading and detection overlap: read_ms and analyze_ms add up to more than the time they took.
        timings: {
          read_ms: Math.round(detected.read_ms),
          analyze_ms: Math.round(detected.analyze_ms + (analyzed - fleetStep)),
          rank_ms: Math.round(performance.now() - analyzed),
        },
      };
    },
  };
}
