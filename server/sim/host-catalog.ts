/** What simulated hosts are made of: roles, their process groups, the slab caches and the data centres. */

const MiB = 1024 * 1024;

export interface GroupSpec {
  name: string;
  /** Anonymous resident memory: a share of MemTotal, or a size in MiB. */
  anonShare?: readonly [number, number];
  anonMiB?: readonly [number, number];
  /** File-backed resident pages (shared libraries, mapped files) relative to the anonymous part. */
  fileRatio: number;
  /** Relative swing of the anonymous part over a day at full traffic. */
  daily: number;
  /** Slow growth between restarts (heap fragmentation, caches), MiB/h: with restarts it makes a sawtooth. */
  sawMiBPerHour?: number;
  /** Mean time between restarts (deploys, log-triggered reloads, worker recycling). */
  restartMeanHours?: number;
  /** Shared memory the group maps (PostgreSQL's shared buffers), as a share of MemTotal. */
  shmemShare?: readonly [number, number];
}

export interface RoleSpec {
  name: string;
  weight: number;
  memGiB: readonly number[];
  /** Page cache the role's workload keeps warm, as a share of MemTotal. */
  fileCacheShare: readonly [number, number];
  groups: readonly GroupSpec[];
}

/** Daemons on every host. `salt-minion` is there so a configuration change can make it leak. */
export const COMMON_GROUPS: readonly GroupSpec[] = [
  { name: 'systemd', anonMiB: [12, 30], fileRatio: 0.4, daily: 0 },
  { name: 'sshd', anonMiB: [4, 14], fileRatio: 0.5, daily: 0.3 },
  { name: 'rsyslogd', anonMiB: [6, 30], fileRatio: 0.2, daily: 0.25 },
  { name: 'cron', anonMiB: [1, 4], fileRatio: 0.6, daily: 0 },
  {
    name: 'salt-minion',
    anonMiB: [45, 90],
    fileRatio: 0.3,
    daily: 0,
    sawMiBPerHour: 0.2,
    restartMeanHours: 96,
  },
  { name: 'node_exporter', anonMiB: [12, 24], fileRatio: 0.3, daily: 0.05 },
];

export const ROLES: readonly RoleSpec[] = [
  {
    name: 'web',
    weight: 28,
    memGiB: [4, 8, 8, 16],
    fileCacheShare: [0.2, 0.4],
    groups: [
      { name: 'nginx', anonShare: [0.01, 0.03], fileRatio: 0.3, daily: 0.35 },
      {
        name: 'php-fpm',
        anonShare: [0.08, 0.18],
        fileRatio: 0.15,
        daily: 0.5,
        sawMiBPerHour: 6,
        restartMeanHours: 20,
      },
    ],
  },
  {
    name: 'app',
    weight: 20,
    memGiB: [8, 16, 16, 32],
    fileCacheShare: [0.12, 0.28],
    groups: [
      {
        name: 'java',
        anonShare: [0.3, 0.45],
        fileRatio: 0.08,
        daily: 0.06,
        sawMiBPerHour: 4,
        restartMeanHours: 36,
      },
    ],
  },
  {
    name: 'db',
    weight: 9,
    memGiB: [32, 64, 64],
    fileCacheShare: [0.3, 0.42],
    groups: [
      { name: 'postgres', anonShare: [0.03, 0.07], fileRatio: 0.05, daily: 0.3, shmemShare: [0.2, 0.25] },
      { name: 'pgbouncer', anonMiB: [10, 40], fileRatio: 0.3, daily: 0.3 },
    ],
  },
  {
    name: 'cache',
    weight: 9,
    memGiB: [16, 32, 64],
    fileCacheShare: [0.05, 0.12],
    groups: [{ name: 'memcached', anonShare: [0.45, 0.6], fileRatio: 0.002, daily: 0.02 }],
  },
  {
    name: 'mail',
    weight: 8,
    memGiB: [2, 4, 4],
    fileCacheShare: [0.25, 0.4],
    groups: [
      { name: 'postfix', anonMiB: [20, 60], fileRatio: 0.4, daily: 0.2 },
      { name: 'dovecot', anonMiB: [30, 120], fileRatio: 0.3, daily: 0.3 },
      {
        name: 'amavisd',
        anonMiB: [250, 450],
        fileRatio: 0.1,
        daily: 0.1,
        sawMiBPerHour: 1.5,
        restartMeanHours: 48,
      },
    ],
  },
  {
    name: 'ops',
    weight: 8,
    memGiB: [4, 8, 16],
    fileCacheShare: [0.2, 0.35],
    groups: [
      { name: 'prometheus', anonShare: [0.12, 0.22], fileRatio: 0.2, daily: 0.05 },
      { name: 'grafana-server', anonMiB: [60, 160], fileRatio: 0.3, daily: 0.2 },
    ],
  },
  {
    name: 'lb',
    weight: 8,
    memGiB: [2, 4],
    fileCacheShare: [0.1, 0.25],
    groups: [{ name: 'haproxy', anonMiB: [60, 250], fileRatio: 0.1, daily: 0.45 }],
  },
  {
    name: 'worker',
    weight: 10,
    memGiB: [8, 16],
    fileCacheShare: [0.15, 0.3],
    groups: [
      {
        name: 'celery',
        anonShare: [0.15, 0.3],
        fileRatio: 0.1,
        daily: 0.25,
        sawMiBPerHour: 12,
        restartMeanHours: 8,
      },
    ],
  },
];

export interface SlabCacheSpec {
  name: string;
  /** Bytes per object, as slabinfo reports it. */
  objectSize: number;
  /** Created with SLAB_RECLAIM_ACCOUNT: counted in SReclaimable, shrunk under memory pressure. */
  reclaimable: boolean;
  baseObjects: readonly [number, number];
  /** Share of an updatedb run's new objects that land in this cache (per object, relative to dentry). */
  updatedb?: number;
}

export const SLAB_CACHES: readonly SlabCacheSpec[] = [
  { name: 'dentry', objectSize: 192, reclaimable: true, baseObjects: [150_000, 700_000], updatedb: 1 },
  { name: 'inode_cache', objectSize: 600, reclaimable: true, baseObjects: [12_000, 40_000], updatedb: 0.05 },
  {
    name: 'ext4_inode_cache',
    objectSize: 1080,
    reclaimable: true,
    baseObjects: [30_000, 180_000],
    updatedb: 0.45,
  },
  { name: 'proc_inode_cache', objectSize: 680, reclaimable: true, baseObjects: [5_000, 25_000] },
  { name: 'buffer_head', objectSize: 104, reclaimable: true, baseObjects: [40_000, 300_000], updatedb: 0.6 },
  // Grows with the page cache: each node indexes up to 64 pages of a file.
  { name: 'radix_tree_node', objectSize: 576, reclaimable: true, baseObjects: [2_000, 6_000] },
  { name: 'kmalloc-64', objectSize: 64, reclaimable: false, baseObjects: [30_000, 120_000] },
  { name: 'kmalloc-128', objectSize: 128, reclaimable: false, baseObjects: [10_000, 60_000] },
  { name: 'kmalloc-256', objectSize: 256, reclaimable: false, baseObjects: [8_000, 40_000] },
  { name: 'kmalloc-512', objectSize: 512, reclaimable: false, baseObjects: [4_000, 20_000] },
  { name: 'kmalloc-1024', objectSize: 1024, reclaimable: false, baseObjects: [2_000, 10_000] },
  { name: 'vm_area_struct', objectSize: 200, reclaimable: false, baseObjects: [15_000, 80_000] },
  { name: 'filp', objectSize: 256, reclaimable: false, baseObjects: [5_000, 30_000] },
  { name: 'task_struct', objectSize: 3584, reclaimable: false, baseObjects: [300, 1_500] },
];

/** Object size for a cache the catalog does not know (a scenario may leak any cache). */
export const UNKNOWN_SLAB_OBJECT_SIZE = 256;

export interface DataCentre {
  name: string;
  /** Local time offset from UTC, hours: daily traffic and cron jobs follow local time. */
  utcOffsetHours: number;
}

export const DATA_CENTRES: readonly DataCentre[] = [
  { name: 'ams1', utcOffsetHours: 2 },
  { name: 'fra1', utcOffsetHours: 2 },
  { name: 'lon1', utcOffsetHours: 1 },
  { name: 'nyc1', utcOffsetHours: -4 },
  { name: 'sfo1', utcOffsetHours: -7 },
  { name: 'sin1', utcOffsetHours: 8 },
];

export const MIB = MiB;
export const GIB = 1024 * MiB;

/** The caches every host of a fleet reports: the catalog plus a cache the scenario's change leaks, if new. */
export function slabCatalog(effect: { kind: string; slab?: string; reclaimable?: boolean } | undefined) {
  const caches: SlabCacheSpec[] = [...SLAB_CACHES];
  const slab = effect?.kind === 'slab-leak' || effect?.kind === 'step' ? effect.slab : undefined;
  if (slab !== undefined && !caches.some((c) => c.name === slab)) {
    caches.push({
      name: slab,
      objectSize: UNKNOWN_SLAB_OBJECT_SIZE,
      reclaimable: effect?.reclaimable ?? false,
      baseObjects: [1_000, 5_000],
    });
  }
  return caches;
}
