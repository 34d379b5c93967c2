/**
 * One host's memory over the window: process groups, page cache, slab caches and the kernel's reclaim,
 * reported as `/proc/meminfo`, slabinfo and process-exporter would report them.
 */
import type { HostData, Series, SeriesKey } from '../analysis/analysis.models.ts';
import type { HostChange } from './change-plan.ts';
import { DEFAULT_STEP_GROUP, DEFAULT_STEP_SLAB } from './change-plan.ts';
import type { FleetScenario, NoiseSettings } from './fleet-sim.ts';
import type { SlabCacheSpec } from './host-catalog.ts';
import type { HostProfile } from './host-profile.ts';
import { ceilPages, memAvailable, PAGE_BYTES } from './kernel-memory.ts';
import { createRng, deriveSeed } from './prng.ts';
import {
  meminfoKey,
  PROCESS_RESIDENT_TOTAL,
  processResidentKey,
  slabObjectSizeKey,
  slabObjectsKey,
} from './series-keys.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Kernel stack per thread (x86-64). */
const THREAD_STACK = 16_384;
/** Page-cache pages per radix_tree_node: a node has 64 slots, partly filled. */
const PAGES_PER_RADIX_NODE = 40;
/** Directory blocks updatedb reads per new dentry, in bytes of Buffers. */
const BUFFER_BYTES_PER_DENTRY = 300;
/** Shared memory a process touches counts in its resident set. */
const SHMEM_TOUCHED = 0.9;
/** How far a restarted process drops before it warms up again. */
const RESTART_LEVEL = 0.4;

export interface HostSimContext {
  scenario: FleetScenario;
  noise: NoiseSettings;
  caches: readonly SlabCacheSpec[];
  keep: ((key: SeriesKey) => boolean) | undefined;
}

export interface HostSimResult {
  /** Null when the host has no sample in the window. */
  data: HostData | null;
  oomKills: number[];
}

/** A burst that ramps up linearly, then decays exponentially (cron jobs filling caches). */
class Burst {
  level = 0;
  private rampLeft = 0;
  private rampRate = 0;
  private readonly decay: number;
  constructor(
    private readonly rampMs: number,
    decayMs: number,
    private readonly stepMs: number,
  ) {
    this.decay = Math.exp(-stepMs / decayMs);
  }
  start(size: number): void {
    this.rampLeft = this.rampMs;
    this.rampRate = size / this.rampMs;
  }
  advance(): void {
    this.level *= this.decay;
    if (this.rampLeft > 0) {
      const d = Math.min(this.stepMs, this.rampLeft);
      this.level += this.rampRate * d;
      this.rampLeft -= d;
    }
  }
}

/** A job that runs daily at a local time of day. */
class DailySchedule {
  next: number;
  constructor(start: number, minuteOfDay: number, utcOffsetMs: number) {
    const local = start + utcOffsetMs;
    let at = Math.floor(local / DAY) * DAY + minuteOfDay * MINUTE - utcOffsetMs;
    if (at < start) at += DAY;
    this.next = at;
  }
  due(t: number): boolean {
    if (t < this.next) return false;
    while (this.next <= t) this.next += DAY;
    return true;
  }
}

class SeriesWriter {
  private readonly entries: Array<[SeriesKey, Float64Array]> = [];
  // Series the caller does not keep are written here and dropped.
  private readonly sink: Float64Array;
  constructor(
    private readonly length: number,
    private readonly keep: ((key: SeriesKey) => boolean) | undefined,
  ) {
    this.sink = new Float64Array(length);
  }
  series(key: SeriesKey): Float64Array {
    if (this.keep !== undefined && !this.keep(key)) return this.sink;
    const values = new Float64Array(this.length);
    this.entries.push([key, values]);
    return values;
  }
  build(ts: Float64Array): Map<SeriesKey, Series> {
    // All series of a host share one timestamp array: the host reports them in one scrape.
    return new Map(this.entries.map(([key, values]) => [key, { ts, values }]));
  }
}

/** What the change or a local leak does on this host, resolved to indices. */
interface Growth {
  start: number;
  /** Bytes per hour, or the step's bytes when `once`. */
  amount: number;
  once: boolean;
  target: 'group' | 'cache' | 'page-cache';
  index: number;
  reclaimable: boolean;
}

export function simulateHost(
  p: HostProfile,
  ctx: HostSimContext,
  plan: HostChange | undefined,
): HostSimResult {
  const { scenario, noise, caches } = ctx;
  const { from, to, stepMs } = scenario;
  const n = Math.ceil((to - from) / stepMs);
  const dtHours = stepMs / HOUR;
  const T = p.memTotal;

  // Which steps produce a sample: the host is up, online, not missed, and its timestamp is in the window.
  const missRng = createRng(deriveSeed(scenario.seed, 'miss', p.index));
  const present = new Uint8Array(n);
  let first = -1;
  let last = -1;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const t = from + i * stepMs + p.phaseMs;
    const missed = missRng.next() < p.missRate;
    if (p.joinAt !== null && t < p.joinAt) continue;
    if (p.leaveAt !== null && t >= p.leaveAt) continue;
    if (first < 0) first = i;
    last = i;
    const ts = t + p.skewMs;
    if (missed || ts < from || ts >= to || p.offline.some((g) => t >= g.from && t < g.to)) continue;
    present[i] = 1;
    m++;
  }
  if (m === 0) return { data: null, oomKills: [] };

  const w = new SeriesWriter(m, ctx.keep);
  const out = {
    memTotal: w.series(meminfoKey('MemTotal')),
    memFree: w.series(meminfoKey('MemFree')),
    memAvailable: w.series(meminfoKey('MemAvailable')),
    buffers: w.series(meminfoKey('Buffers')),
    cached: w.series(meminfoKey('Cached')),
    swapCached: w.series(meminfoKey('SwapCached')),
    active: w.series(meminfoKey('Active')),
    inactive: w.series(meminfoKey('Inactive')),
    activeAnon: w.series(meminfoKey('Active(anon)')),
    inactiveAnon: w.series(meminfoKey('Inactive(anon)')),
    activeFile: w.series(meminfoKey('Active(file)')),
    inactiveFile: w.series(meminfoKey('Inactive(file)')),
    swapTotal: w.series(meminfoKey('SwapTotal')),
    swapFree: w.series(meminfoKey('SwapFree')),
    dirty: w.series(meminfoKey('Dirty')),
    writeback: w.series(meminfoKey('Writeback')),
    anonPages: w.series(meminfoKey('AnonPages')),
    mapped: w.series(meminfoKey('Mapped')),
    shmem: w.series(meminfoKey('Shmem')),
    slab: w.series(meminfoKey('Slab')),
    sReclaimable: w.series(meminfoKey('SReclaimable')),
    sUnreclaim: w.series(meminfoKey('SUnreclaim')),
    kernelStack: w.series(meminfoKey('KernelStack')),
    pageTables: w.series(meminfoKey('PageTables')),
    processTotal: w.series(PROCESS_RESIDENT_TOTAL),
  };
  const slabObjectsOut = caches.map((c) => w.series(slabObjectsKey(c.name)));
  const slabSizeOut = caches.map((c) => w.series(slabObjectSizeKey(c.name)));
  const groupOut = p.groups.map((g) => w.series(processResidentKey(g.name)));
  const ts = new Float64Array(m);

  const G = p.groups.length;
  // Group traits as typed arrays, and the kernel helpers as locals: this loop runs for every host and step.
  const anonBase = Float64Array.from(p.groups, (g) => g.anonBase);
  const dailyAmp = Float64Array.from(p.groups, (g) => g.dailyAmp);
  const fileBytesOf = Float64Array.from(p.groups, (g) => g.fileBytes);
  const shmemOf = Float64Array.from(p.groups, (g) => g.shmemBytes);
  const sawPerHour = Float64Array.from(p.groups, (g) => g.sawPerHour);
  const restartMean = Float64Array.from(p.groups, (g) => g.restartMeanMs);
  const pages = ceilPages;
  const available = memAvailable;
  const C = caches.length;
  const radixIndex = caches.findIndex((c) => c.name === 'radix_tree_node');
  const vmaIndex = caches.findIndex((c) => c.name === 'vm_area_struct');
  const taskIndex = caches.findIndex((c) => c.name === 'task_struct');
  const reclaimable = Uint8Array.from(caches, (c) => (c.reclaimable ? 1 : 0));
  const objectSize = Float64Array.from(caches, (c) => c.objectSize);
  const updatedbShare = Float64Array.from(caches, (c) => c.updatedb ?? 0);
  const slabBytesPerObject = Float64Array.from(
    caches,
    (c, k) => c.objectSize * (1 + (p.slabOverhead[k] ?? 0)),
  );

  // State that evolves step by step.
  const joining = p.joinAt !== null;
  const saw = new Float64Array(G);
  const warm = new Float64Array(G).fill(joining ? RESTART_LEVEL : 1);
  const leak = new Float64Array(G);
  const groupNoise = new Float64Array(G);
  const nextRestart = new Float64Array(G);
  // Slab caches of one kind move together: filesystem caches with file activity, kmalloc with the kernel's.
  let fsSlabNoise = 0;
  let kernelSlabNoise = 0;
  /** Leaked objects per cache that reclaim can free, and pinned ones that it cannot. */
  const leakFree = new Float64Array(C);
  const leakPinned = new Float64Array(C);
  const anon = new Float64Array(G);
  const objects = new Float64Array(C);
  let pageCacheGrowth = 0;
  /** Share of the reclaimable slab working set present: below 1 after reclaim or on a freshly booted host. */
  let slabWarm = joining ? 0.3 : 1;
  let fileWarm = joining ? 0.2 : 1;
  let otherAnonNoise = 0;
  let fileNoise = 0;
  let bufferNoise = 0;
  let activeNoise = 0;
  let dirtyLevel = 0;

  const restartRng = createRng(deriveSeed(scenario.seed, 'restarts', p.index));
  const normal = createRng(deriveSeed(scenario.seed, 'noise', p.index)).quickNormal;
  const start = from + first * stepMs + p.phaseMs;
  for (let g = 0; g < G; g++) {
    const mean = restartMean[g] ?? Infinity;
    nextRestart[g] = Number.isFinite(mean) ? start + restartRng.exponential(mean) : Infinity;
  }
  const updatedbRun = new DailySchedule(start, p.updatedb.minuteOfDay, p.utcOffsetMs);
  const logrotateRun = new DailySchedule(start, p.logrotate.minuteOfDay, p.utcOffsetMs);
  const backupRun = p.backup && new DailySchedule(start, p.backup.minuteOfDay, p.utcOffsetMs);
  const updatedb = new Burst(12 * MINUTE, 3 * HOUR, stepMs);
  const logrotate = new Burst(5 * MINUTE, 1.5 * HOUR, stepMs);
  const backup = new Burst(45 * MINUTE, 2 * HOUR, stepMs);

  const growths = resolveGrowths(p, ctx, plan);
  const stepped = new Uint8Array(growths.length);
  const oomKills: number[] = [];
  const warmRecovery = 1 - Math.exp(-stepMs / (30 * MINUTE));
  const slabRecovery = 1 - Math.exp(-stepMs / (6 * HOUR));
  const fileRecovery = 1 - Math.exp(-stepMs / (3 * HOUR));

  // Process memory at the current step; run again after the OOM killer.
  let cycle = 0;
  let fileMapped = 0;
  let shmemMapped = 0;
  let anonSum = 0;
  const composeAnon = (): void => {
    anonSum = p.otherAnon * (1 + 0.3 * noise.dailyCycle * cycle) * (1 + otherAnonNoise);
    fileMapped = 0;
    shmemMapped = 0;
    for (let g = 0; g < G; g++) {
      const live = warm[g] ?? 1;
      const base = ((anonBase[g] ?? 0) * (1 + (dailyAmp[g] ?? 0) * cycle) + (saw[g] ?? 0)) * live;
      anon[g] = Math.max(0, base * (1 + (groupNoise[g] ?? 0))) + (leak[g] ?? 0);
      anonSum += anon[g] ?? 0;
      fileMapped += (fileBytesOf[g] ?? 0) * live;
      shmemMapped += (shmemOf[g] ?? 0) * SHMEM_TOUCHED;
    }
  };
  const shmem = p.tmpfs + p.groups.reduce((sum, g) => sum + g.shmemBytes, 0);
  let prevT = -Infinity;
  let j = 0;
  for (let i = first; i <= last; i++) {
    const t = from + i * stepMs + p.phaseMs;
    cycle = Math.cos((2 * Math.PI * ((t + p.utcOffsetMs) / HOUR - 14)) / 24);

    // Cron jobs and restarts.
    if (updatedbRun.due(t)) updatedb.start(p.updatedb.size);
    if (logrotateRun.due(t)) logrotate.start(p.logrotate.size);
    if (backupRun?.due(t) && p.backup) backup.start(p.backup.size);
    updatedb.advance();
    logrotate.advance();
    backup.advance();
    for (let g = 0; g < G; g++) {
      if (t >= (nextRestart[g] ?? Infinity)) {
        saw[g] = 0;
        warm[g] = RESTART_LEVEL;
        nextRestart[g] = t + restartRng.exponential(restartMean[g] ?? Infinity);
      }
      warm[g] = (warm[g] ?? 1) + (1 - (warm[g] ?? 1)) * warmRecovery;
      saw[g] = (saw[g] ?? 0) + (sawPerHour[g] ?? 0) * dtHours;
      groupNoise[g] = 0.95 * (groupNoise[g] ?? 0) + 0.002 * normal();
    }
    fsSlabNoise = 0.98 * fsSlabNoise + 0.0015 * normal();
    kernelSlabNoise = 0.98 * kernelSlabNoise + 0.001 * normal();
    otherAnonNoise = 0.9 * otherAnonNoise + 0.02 * normal();
    fileNoise = 0.99 * fileNoise + 0.0015 * normal();
    bufferNoise = 0.95 * bufferNoise + 0.01 * normal();
    activeNoise = 0.99 * activeNoise + 0.003 * normal();
    dirtyLevel = Math.max(0, 0.8 * dirtyLevel + 0.0005 * T * Math.abs(normal()));
    const floorNoise = normal();
    slabWarm += (1 - slabWarm) * slabRecovery;
    fileWarm += (1 - fileWarm) * fileRecovery;

    // The change and local leaks, from their onset on.
    for (let k = 0; k < growths.length; k++) {
      const growth = growths[k];
      if (growth === undefined || t < growth.start) continue;
      let bytes: number;
      if (growth.once) {
        if (stepped[k]) continue;
        stepped[k] = 1;
        bytes = growth.amount;
      } else {
        bytes = (growth.amount * (t - Math.max(growth.start, prevT))) / HOUR;
      }
      if (growth.target === 'group') leak[growth.index] = (leak[growth.index] ?? 0) + bytes;
      else if (growth.target === 'page-cache') pageCacheGrowth += bytes;
      else {
        const added = bytes / (objectSize[growth.index] ?? 1);
        if (growth.reclaimable) leakFree[growth.index] = (leakFree[growth.index] ?? 0) + added;
        else leakPinned[growth.index] = (leakPinned[growth.index] ?? 0) + added;
      }
    }
    prevT = t;

    // Demands, then what the kernel grants under pressure.
    composeAnon();
    const buffers = p.buffers * (1 + bufferNoise) + updatedb.level * BUFFER_BYTES_PER_DENTRY;
    const threads = p.threads * (1 + 0.1 * noise.dailyCycle * cycle);
    const kernelStack = threads * THREAD_STACK;
    // What reclaim cannot shrink, besides process memory and pinned slab.
    const steady = shmem + buffers + kernelStack + p.otherKernel + p.swapCached + p.otherReclaimable;
    const fileWanted =
      p.fileCache * fileWarm * (1 + p.fileDaily * cycle) * (1 + fileNoise) +
      logrotate.level +
      backup.level +
      pageCacheGrowth;
    const floor = p.freeFloor * (1 + 0.05 * floorNoise);

    // Slab: the reclaimable working set scales with slabWarm; radix_tree_node also follows the page cache.
    let sPinned = p.otherUnreclaimable;
    let sScalable = 0;
    for (let c = 0; c < C; c++) {
      let count = (p.slabObjects[c] ?? 0) * (1 + (reclaimable[c] ? fsSlabNoise : kernelSlabNoise));
      if (c === vmaIndex) count *= 1 + 0.2 * noise.dailyCycle * cycle;
      else if (c === taskIndex) count *= threads / p.threads;
      else if (reclaimable[c] && c !== radixIndex)
        count = count * slabWarm + updatedb.level * (updatedbShare[c] ?? 0);
      objects[c] = count;
      const perObject = slabBytesPerObject[c] ?? 0;
      if (!reclaimable[c]) sPinned += count * perObject;
      else if (c !== radixIndex) sScalable += count * perObject;
      sScalable += (leakFree[c] ?? 0) * perObject;
      sPinned += (leakPinned[c] ?? 0) * perObject;
    }
    const radixPerByte = (slabBytesPerObject[radixIndex] ?? 0) / PAGE_BYTES / PAGES_PER_RADIX_NODE;
    const radixBase = (objects[radixIndex] ?? 0) * (slabBytesPerObject[radixIndex] ?? 0);

    let file = fileWanted;
    let slabScale = 1;
    let room = T - floor - steady - anonSum * (1 + p.pageTablesRatio) - sPinned - radixBase;
    if (file * (1 + radixPerByte) + sScalable > room) {
      // kswapd: the page cache goes first, down to what is mapped and hot; then the slab shrinkers run.
      file = Math.max(p.fileCacheMin, (room - sScalable) / (1 + radixPerByte));
      const slabRoom = room - file * (1 + radixPerByte);
      if (slabRoom < sScalable) slabScale = Math.max(0, slabRoom / sScalable);
      if (slabScale < 0.05) {
        // Nothing left to reclaim: the OOM killer ends the leaking processes; pinned slab goes with a reboot.
        oomKills.push(t);
        for (let g = 0; g < G; g++) {
          if ((leak[g] ?? 0) > 0) {
            leak[g] = 0;
            saw[g] = 0;
            warm[g] = RESTART_LEVEL;
          }
        }
        for (let c = 0; c < C; c++) {
          if ((leakPinned[c] ?? 0) > 0) {
            sPinned -= (leakPinned[c] ?? 0) * (slabBytesPerObject[c] ?? 0);
            leakPinned[c] = 0;
          }
        }
        composeAnon();
        room = T - floor - steady - anonSum * (1 + p.pageTablesRatio) - sPinned - radixBase;
        file = Math.max(p.fileCacheMin, Math.min(fileWanted, (room - sScalable) / (1 + radixPerByte)));
        const left = room - file * (1 + radixPerByte);
        slabScale = Math.min(1, Math.max(0, left / sScalable));
      }
      if (slabScale < 1) {
        // Reclaimed objects are gone: the leaked ones and the updatedb burst do not come back.
        slabWarm *= slabScale;
        updatedb.level *= slabScale;
        for (let c = 0; c < C; c++) {
          leakFree[c] = (leakFree[c] ?? 0) * slabScale;
          if (reclaimable[c] && c !== radixIndex) objects[c] = (objects[c] ?? 0) * slabScale;
        }
      }
    }

    if (!present[i]) continue;

    // Report: whole pages, then the kernel's derived figures.
    const anonPages = pages(anonSum);
    const shmemBytes = pages(shmem);
    const fileBytes = pages(file);
    const buffersBytes = pages(buffers);
    const kernelStackBytes = pages(kernelStack);
    const pageTables = pages(anonSum * p.pageTablesRatio);
    const otherKernel = pages(p.otherKernel);
    const swapCached = pages(p.swapCached);
    let reclaimableBytes = p.otherReclaimable;
    let unreclaimableBytes = p.otherUnreclaimable;
    for (let c = 0; c < C; c++) {
      const count = (objects[c] ?? 0) + (c === radixIndex ? file / PAGE_BYTES / PAGES_PER_RADIX_NODE : 0);
      const free = leakFree[c] ?? 0;
      const pinned = leakPinned[c] ?? 0;
      const perObject = slabBytesPerObject[c] ?? 0;
      // Leaked objects count where the leak says: a scenario may pin objects of a reclaimable cache.
      if (reclaimable[c]) reclaimableBytes += count * perObject;
      else unreclaimableBytes += count * perObject;
      reclaimableBytes += free * perObject;
      unreclaimableBytes += pinned * perObject;
      (slabObjectsOut[c] as Float64Array)[j] = Math.round(count + free + pinned);
      (slabSizeOut[c] as Float64Array)[j] = objectSize[c] ?? 0;
    }
    const sReclaimable = pages(reclaimableBytes);
    const sUnreclaim = pages(unreclaimableBytes);
    const slab = sReclaimable + sUnreclaim;
    const memFree =
      T -
      (anonPages +
        fileBytes +
        shmemBytes +
        swapCached +
        buffersBytes +
        slab +
        kernelStackBytes +
        pageTables +
        otherKernel);
    if (memFree < 0) throw new Error(`simulator invariant: negative MemFree on ${p.host} at ${t}`);

    const anonLru = anonPages + shmemBytes;
    const fileLru = fileBytes + buffersBytes;
    const activeAnon = Math.floor((anonLru * p.activeAnonShare) / PAGE_BYTES) * PAGE_BYTES;
    const activeShare = Math.min(0.95, Math.max(0.05, p.activeFileShare + activeNoise));
    const activeFile = Math.floor((fileLru * activeShare) / PAGE_BYTES) * PAGE_BYTES;
    const cached = fileBytes + shmemBytes;

    ts[j] = t + p.skewMs;
    out.memTotal[j] = T;
    out.memFree[j] = memFree;
    out.memAvailable[j] = available(
      { memFree, activeFile, inactiveFile: fileLru - activeFile, sReclaimable },
      p.wmark.low,
    );
    out.buffers[j] = buffersBytes;
    out.cached[j] = cached;
    out.swapCached[j] = swapCached;
    out.activeAnon[j] = activeAnon;
    out.inactiveAnon[j] = anonLru - activeAnon;
    out.activeFile[j] = activeFile;
    out.inactiveFile[j] = fileLru - activeFile;
    out.active[j] = activeAnon + activeFile;
    out.inactive[j] = anonLru - activeAnon + (fileLru - activeFile);
    out.swapTotal[j] = p.swapTotal;
    out.swapFree[j] = p.swapTotal - pages(p.swapUsed);
    out.dirty[j] = Math.min(fileBytes, pages(dirtyLevel));
    out.writeback[j] = Math.min(fileBytes, pages(dirtyLevel * 0.02));
    out.anonPages[j] = anonPages;
    out.mapped[j] = Math.min(cached, pages(fileMapped + shmemMapped));
    out.shmem[j] = shmemBytes;
    out.slab[j] = slab;
    out.sReclaimable[j] = sReclaimable;
    out.sUnreclaim[j] = sUnreclaim;
    out.kernelStack[j] = kernelStackBytes;
    out.pageTables[j] = pageTables;
    let total = 0;
    for (let g = 0; g < G; g++) {
      const resident = pages(
        (anon[g] ?? 0) + (fileBytesOf[g] ?? 0) * (warm[g] ?? 1) + (shmemOf[g] ?? 0) * SHMEM_TOUCHED,
      );
      (groupOut[g] as Float64Array)[j] = resident;
      total += resident;
    }
    out.processTotal[j] = total;
    j++;
  }

  return {
    data: { host: p.host, labels: { ...p.labels }, series: w.build(ts) },
    oomKills,
  };
}

function resolveGrowths(p: HostProfile, ctx: HostSimContext, plan: HostChange | undefined): Growth[] {
  const growths: Growth[] = [];
  const leakOwn = p.localLeak;
  if (leakOwn !== null) {
    const cache = ctx.caches[leakOwn.cache];
    growths.push({
      start: leakOwn.onset,
      amount: leakOwn.ratePerHour,
      once: false,
      target: leakOwn.kind === 'process' ? 'group' : 'cache',
      index: leakOwn.kind === 'process' ? leakOwn.group : leakOwn.cache,
      reclaimable: cache?.reclaimable ?? false,
    });
  }
  const change = ctx.scenario.change;
  if (plan === undefined || change === null) return growths;
  const effect = change.effect;
  const groupIndex = (name: string): number => p.groups.findIndex((g) => g.name === name);
  const cacheIndex = (name: string): number => ctx.caches.findIndex((c) => c.name === name);
  const base = { start: plan.apply, reclaimable: false };
  switch (effect.kind) {
    case 'slab-leak':
      growths.push({
        ...base,
        amount: effect.ratePerHour * plan.rateFactor,
        once: false,
        target: 'cache',
        index: cacheIndex(effect.slab),
        reclaimable: effect.reclaimable,
      });
      break;
    case 'process-leak':
      growths.push({
        ...base,
        amount: effect.ratePerHour * plan.rateFactor,
        once: false,
        target: 'group',
        index: groupIndex(effect.group),
      });
      break;
    case 'page-cache':
      growths.push({
        ...base,
        amount: effect.ratePerHour * plan.rateFactor,
        once: false,
        target: 'page-cache',
        index: -1,
      });
      break;
    case 'step': {
      const amount = effect.bytes * plan.rateFactor;
      if (effect.component === 'process')
        growths.push({
          ...base,
          amount,
          once: true,
          target: 'group',
          index: groupIndex(effect.group ?? DEFAULT_STEP_GROUP),
        });
      else if (effect.component === 'page-cache')
        growths.push({ ...base, amount, once: true, target: 'page-cache', index: -1 });
      else {
        const index = cacheIndex(effect.slab ?? DEFAULT_STEP_SLAB);
        growths.push({
          ...base,
          amount,
          once: true,
          target: 'cache',
          index,
          reclaimable: ctx.caches[index]?.reclaimable ?? false,
        });
      }
      break;
    }
  }
  return growths;
}
