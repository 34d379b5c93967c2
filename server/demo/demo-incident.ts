/**
 * A simulated site-wide incident, the way the story goes: a Salt commit makes every host leak dentries,
 * hours later hosts all over the fleet page with "memory usage above 80%". The fleet, its Salt repository
 * and the Alertmanager notifications come from one seeded scenario. Used by `npm run demo` and the tests.
 */
import { createHash } from 'node:crypto';
import type { FleetData, SeriesKey } from '../analysis/analysis.models.ts';
import { analysisMetrics } from '../analysis/analysis.service.ts';
import { NOISE_PRESETS, simulateFleet, type FleetScenario, type FleetTruth } from '../sim/fleet-sim.ts';
import { writeSaltRepository, type SaltRepository } from '../sim/salt-repo.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface DemoScenarioOptions {
  seed?: number;
  hosts?: number;
  /** Start of the simulated window, epoch ms. */
  from: number;
  hours?: number;
  stepMs?: number;
  /** When the culprit goes live, hours after `from`. */
  changeAfterHours?: number;
}

export function demoScenario(o: DemoScenarioOptions): FleetScenario {
  const hours = o.hours ?? 30;
  return {
    name: 'site-wide-dentry-leak',
    seed: o.seed ?? 2017,
    hosts: o.hosts ?? 40,
    from: o.from,
    to: o.from + hours * HOUR,
    stepMs: o.stepMs ?? 5 * MINUTE,
    change: {
      at: o.from + (o.changeAfterHours ?? 14) * HOUR,
      effect: { kind: 'slab-leak', slab: 'dentry', reclaimable: true, ratePerHour: 40 * 2 ** 20 },
      lag: { kind: 'highstate', intervalMs: HOUR, splayMs: 10 * MINUTE },
      target: { kind: 'all' },
    },
    noise: { ...NOISE_PRESETS.medium },
  };
}

/**
 * The series the analysis reads, plus the two slab caches that matter here: a fraction of what the
 * simulator reports, so loading it is quick and the answer the same.
 */
export function analysedSeries(key: SeriesKey): boolean {
  const metric = key.replace(/\{.*$/, '');
  if (!analysisMetrics.includes(metric)) return false;
  return !metric.startsWith('node_slabinfo') || /slab="(dentry|inode_cache)"/.test(key);
}

export interface DemoIncident {
  scenario: FleetScenario;
  fleet: FleetData;
  truth: FleetTruth;
  repo: SaltRepository;
}

/** Simulates the fleet and writes its Salt repository to `repoDir` (replacing what is there). */
export async function simulateIncident(
  repoDir: string,
  scenario: FleetScenario,
  options: { keep?: (key: SeriesKey) => boolean; commits?: number } = {},
): Promise<DemoIncident> {
  const { fleet, truth } = simulateFleet(scenario, options.keep ? { keep: options.keep } : {});
  const repo = await writeSaltRepository(repoDir, scenario, fleet, truth, {
    commits: options.commits ?? 200,
  });
  return { scenario, fleet, truth, repo };
}

/** What `npm run demo` loads: the scenario's fleet (the series the analysis reads) and 300 commits of Salt. */
export function simulateDemo(repoDir: string, scenario: FleetScenario): Promise<DemoIncident> {
  return simulateIncident(repoDir, scenario, { keep: analysedSeries, commits: 300 });
}

export interface AlertBurstOptions {
  /** How many affected hosts page, earliest onsets first. */
  hosts: number;
  /** When the first one fires, epoch ms; by default three hours after the last true onset among them. */
  at?: number;
  /** The alerts fire over this long; default 10 minutes. */
  spreadMs?: number;
  alertname?: string;
}

/** Alertmanager webhook payloads (version 4), one alert per host, as a burst of memory pages. */
export function memoryAlertPayload(incident: DemoIncident, o: AlertBurstOptions) {
  const onsets = [...(incident.truth.change?.hosts ?? new Map<string, number>())].sort((a, b) => a[1] - b[1]);
  const paging = onsets.slice(0, o.hosts);
  const alertname = o.alertname ?? 'HostMemoryUsageHigh';
  const start = o.at ?? Math.max(...paging.map(([, t]) => t)) + 3 * HOUR;
  const spread = o.spreadMs ?? 10 * MINUTE;
  const alerts = paging.map(([host], i) => {
    const startsAt = Math.round((start + (spread * i) / Math.max(1, paging.length)) / 1000) * 1000;
    const labels = { alertname, instance: `${host}:9100`, job: 'node', severity: 'warning' };
    return {
      status: 'firing' as const,
      labels,
      annotations: {
        summary: `Memory usage is more than 80% on ${host}`,
        description: 'WARNING: Memory usage is more than 80%',
      },
      startsAt: new Date(startsAt).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.net/graph?g0.expr=node_memory_used_ratio+%3E+0.8',
      fingerprint: createHash('sha256').update(`${alertname}\0${host}`).digest('hex').slice(0, 16),
    };
  });
  return {
    version: '4',
    groupKey: `{}:{alertname="${alertname}"}`,
    truncatedAlerts: 0,
    status: 'firing' as const,
    receiver: 'onset',
    groupLabels: { alertname },
    commonLabels: { alertname, job: 'node', severity: 'warning' },
    commonAnnotations: { description: 'WARNING: Memory usage is more than 80%' },
    externalURL: 'http://alertmanager.example.net:9093',
    alerts,
  };
}

export type MemoryAlertPayload = ReturnType<typeof memoryAlertPayload>;
