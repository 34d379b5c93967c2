/** Draws each host's fixed traits: role, size, processes, cache baselines, cron times, clock, gaps, churn. */
import type { FleetScenario, NoiseSettings } from './fleet-sim.ts';
import {
  COMMON_GROUPS,
  DATA_CENTRES,
  GIB,
  MIB,
  ROLES,
  type GroupSpec,
  type SlabCacheSpec,
} from './host-catalog.ts';
import { ceilPages, watermarks, type Watermarks } from './kernel-memory.ts';
import { createRng, deriveSeed, shuffle, type Rng } from './prng.ts';

const HOUR = 3_600_000;
const MINUTE = 60_000;

export interface GroupProfile {
  name: string;
  anonBase: number;
  fileBytes: number;
  shmemBytes: number;
  /** Daily swing, already scaled by the scenario's dailyCycle. */
  dailyAmp: number;
  /** Growth between restarts, bytes/h, already scaled by the scenario's restarts. */
  sawPerHour: number;
  /** Mean time between restarts, ms; Infinity when the group does not restart. */
  restartMeanMs: number;
}

export interface LocalLeakProfile {
  onset: number;
  ratePerHour: number;
  kind: 'process' | 'slab';
  /** Index into `groups` (process) or into the fleet's slab caches (slab). */
  group: number;
  cache: number;
}

export interface DailyJob {
  /** Local time of day it starts, minutes after midnight. */
  minuteOfDay: number;
  /** How much it adds: dentries for updatedb, bytes of page cache for logrotate and backups. */
  size: number;
}

export interface HostProfile {
  index: number;
  host: string;
  labels: Record<string, string>;
  role: string;
  utcOffsetMs: number;
  memTotal: number;
  wmark: Watermarks;
  /** MemFree under memory pressure: kswapd reclaims until free memory is back above this. */
  freeFloor: number;
  swapTotal: number;
  swapUsed: number;
  swapCached: number;
  groups: GroupProfile[];
  /** Anonymous memory of processes outside the named groups (short-lived jobs, shells). */
  otherAnon: number;
  tmpfs: number;
  fileCache: number;
  /** Minimum page cache: mapped files and hot metadata the kernel keeps under pressure. */
  fileCacheMin: number;
  fileDaily: number;
  buffers: number;
  threads: number;
  pageTablesRatio: number;
  /** Kernel memory /proc/meminfo has no line for here (vmalloc, percpu, drivers): the rest of MemTotal. */
  otherKernel: number;
  slabObjects: Float64Array;
  /** Per cache: slab pages hold more than objects × size (partly filled slabs, alignment). */
  slabOverhead: Float64Array;
  otherReclaimable: number;
  otherUnreclaimable: number;
  activeAnonShare: number;
  activeFileShare: number;
  updatedb: DailyJob;
  logrotate: DailyJob;
  backup: DailyJob | null;
  skewMs: number;
  phaseMs: number;
  joinAt: number | null;
  leaveAt: number | null;
  offline: Array<{ from: number; to: number }>;
  missRate: number;
  localLeak: LocalLeakProfile | null;
}

export function buildHostProfiles(
  scenario: FleetScenario,
  noise: NoiseSettings,
  caches: readonly SlabCacheSpec[],
): HostProfile[] {
  const fleetRng = createRng(deriveSeed(scenario.seed, 'fleet'));
  // Two or three data centres per fleet, chosen by the seed.
  const centres = [...DATA_CENTRES];
  shuffle(centres, fleetRng);
  const fleetCentres = centres.slice(0, fleetRng.int(2, 3));
  const counters = new Map<string, number>();
  const profiles: HostProfile[] = [];
  for (let index = 0; index < scenario.hosts; index++) {
    const rng = createRng(deriveSeed(scenario.seed, 'profile', index));
    const role = pickWeighted(rng);
    const centre = rng.pick(fleetCentres);
    const number = (counters.get(role.name) ?? 0) + 1;
    counters.set(role.name, number);
    const host = `${role.name}-${String(number).padStart(3, '0')}.${centre.name}.example.net`;
    profiles.push(
      drawHost(scenario, noise, caches, index, host, role, centre.name, centre.utcOffsetHours, rng),
    );
  }
  return profiles;
}

function drawHost(
  scenario: FleetScenario,
  noise: NoiseSettings,
  caches: readonly SlabCacheSpec[],
  index: number,
  host: string,
  role: (typeof ROLES)[number],
  dc: string,
  utcOffsetHours: number,
  rng: Rng,
): HostProfile {
  const window = scenario.to - scenario.from;
  // MemTotal is the RAM less what firmware and the kernel image reserve.
  const memTotal = ceilPages(rng.pick(role.memGiB) * GIB * rng.uniform(0.965, 0.985));
  const groups = [...COMMON_GROUPS, ...role.groups].map((spec) => drawGroup(spec, memTotal, noise, rng));
  const otherAnon = rng.uniform(0.01, 0.03) * memTotal;
  const tmpfs = rng.uniform(4, 60) * MIB;
  const threads = rng.uniform(250, 1500);
  const buffers = rng.uniform(0.005, 0.03) * memTotal;
  const otherKernel = rng.uniform(0.01, 0.025) * memTotal;

  // Small hosts hold fewer cached files: scale the dentry and inode baselines down.
  const slabScale = Math.min(1, Math.sqrt(memTotal / (8 * GIB)));
  const slabObjects = new Float64Array(caches.length);
  const slabOverhead = new Float64Array(caches.length);
  caches.forEach((cache, c) => {
    const cacheRng = createRng(deriveSeed(scenario.seed, 'slab', index, cache.name));
    const [lo, hi] = cache.baseObjects;
    slabObjects[c] = cacheRng.uniform(lo, hi) * (cache.reclaimable ? slabScale : 1);
    slabOverhead[c] = cacheRng.uniform(0.03, 0.12);
  });

  const anonTotal = groups.reduce((sum, g) => sum + g.anonBase * (1 + g.dailyAmp) + g.shmemBytes, otherAnon);
  const fixed = anonTotal + tmpfs + buffers + otherKernel + 0.08 * memTotal;
  // The workload's page cache, capped so a quiet host keeps some memory free.
  const fileCache = Math.max(
    0.03 * memTotal,
    Math.min(rng.uniform(...role.fileCacheShare) * memTotal, 0.85 * memTotal - fixed),
  );
  const mapped = groups.reduce((sum, g) => sum + g.fileBytes, 0);
  const hasSwap = rng.chance(0.5);
  const swapTotal = hasSwap ? rng.pick([1, 2, 4]) * GIB : 0;

  const updatedb = {
    minuteOfDay: rng.int(3 * 60, 6 * 60 + 30),
    size: rng.uniform(2e5, 1.2e6) * slabScale * noise.cronSpikes,
  };
  const logrotate = {
    minuteOfDay: rng.int(0, 6 * 60 + 30),
    size: rng.uniform(0.05, 0.2) * fileCache * noise.cronSpikes,
  };
  const backupDraw = {
    minuteOfDay: rng.int(60, 3 * 60),
    size: rng.uniform(0.08, 0.2) * memTotal * noise.cronSpikes,
  };

  // `+ 0` turns -0 into 0: a host without skew reports exactly its true times.
  const skewMs = Math.round((2 * rng.next() - 1) * noise.clockSkewMs) + 0;
  const phaseMs = Math.floor(rng.next() * scenario.stepMs);

  // Churn: a host is provisioned or retired during the window.
  const churns = rng.next() < 0.15 * noise.churn;
  const joins = rng.next() < 0.5;
  const churnAt = scenario.from + window * rng.uniform(0.05, 0.9);
  const joinAt = churns && joins ? churnAt : null;
  const leaveAt = churns && !joins ? churnAt : null;

  const hasGaps = rng.next() < 0.2 * noise.offline;
  const gapCount = rng.int(1, 3);
  const offline: Array<{ from: number; to: number }> = [];
  for (let k = 0; k < 3; k++) {
    const start = scenario.from + window * rng.next();
    const length = Math.min(8 * HOUR, Math.max(5 * MINUTE, rng.logNormal(40 * MINUTE, 0.9)));
    if (hasGaps && k < gapCount) offline.push({ from: start, to: start + length });
  }

  const leaks = rng.next() < 0.06 * noise.localLeaks;
  const leakKind = rng.next();
  const leakOnset = Math.round(scenario.from + window * rng.uniform(0.1, 0.9));
  const leakRate = Math.min(200, Math.max(4, rng.logNormal(25, 0.6))) * MIB;
  const serviceGroup = COMMON_GROUPS.length + rng.int(0, role.groups.length - 1);
  const leakCache = rng.pick(['kmalloc-64', 'kmalloc-256', 'kmalloc-1024']);
  const unreclaimable = caches.findIndex((c) => c.name === leakCache);
  const localLeak: LocalLeakProfile | null = !leaks
    ? null
    : leakKind < 0.6
      ? { onset: leakOnset, ratePerHour: leakRate, kind: 'process', group: serviceGroup, cache: -1 }
      : leakKind < 0.85
        ? { onset: leakOnset, ratePerHour: leakRate, kind: 'slab', group: -1, cache: unreclaimable }
        : { onset: leakOnset, ratePerHour: leakRate, kind: 'slab', group: -1, cache: 0 };

  const wmark = watermarks(memTotal);
  return {
    index,
    host,
    labels: { role: role.name, dc },
    role: role.name,
    utcOffsetMs: utcOffsetHours * HOUR,
    memTotal,
    wmark,
    freeFloor: wmark.high + rng.uniform(0.004, 0.015) * memTotal,
    swapTotal,
    swapUsed: hasSwap ? rng.uniform(0, 0.03) * swapTotal : 0,
    swapCached: hasSwap ? rng.uniform(0, 8) * MIB : 0,
    groups,
    otherAnon,
    tmpfs,
    fileCache,
    fileCacheMin: mapped + 0.01 * memTotal,
    fileDaily: rng.uniform(0.05, 0.15) * noise.dailyCycle,
    buffers,
    threads,
    pageTablesRatio: rng.uniform(0.006, 0.02),
    otherKernel,
    slabObjects,
    slabOverhead,
    otherReclaimable: rng.uniform(2, 12) * MIB,
    otherUnreclaimable: rng.uniform(8, 40) * MIB,
    activeAnonShare: rng.uniform(0.7, 0.95),
    activeFileShare: rng.uniform(0.35, 0.65),
    updatedb,
    logrotate,
    backup: role.name === 'db' ? backupDraw : null,
    skewMs,
    phaseMs,
    joinAt,
    leaveAt,
    offline,
    missRate: 0.003 * noise.offline,
    localLeak,
  };
}

function drawGroup(spec: GroupSpec, memTotal: number, noise: NoiseSettings, rng: Rng): GroupProfile {
  const anonBase = spec.anonShare
    ? rng.uniform(...spec.anonShare) * memTotal
    : rng.uniform(...(spec.anonMiB ?? [10, 20])) * MIB;
  const shmemBytes = spec.shmemShare ? rng.uniform(...spec.shmemShare) * memTotal : 0;
  const restartMeanMs = spec.restartMeanHours === undefined ? Infinity : spec.restartMeanHours * HOUR;
  return {
    name: spec.name,
    anonBase,
    fileBytes: anonBase * spec.fileRatio * rng.uniform(0.7, 1.3),
    shmemBytes,
    dailyAmp: spec.daily * noise.dailyCycle,
    sawPerHour: (spec.sawMiBPerHour ?? 0) * MIB * noise.restarts,
    restartMeanMs: noise.restarts > 0 ? restartMeanMs / noise.restarts : Infinity,
  };
}

function pickWeighted(rng: Rng): (typeof ROLES)[number] {
  const total = ROLES.reduce((sum, r) => sum + r.weight, 0);
  let u = rng.next() * total;
  for (const role of ROLES) {
    u -= role.weight;
    if (u < 0) return role;
  }
  return ROLES[ROLES.length - 1] as (typeof ROLES)[number];
}
