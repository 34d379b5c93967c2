import { describe, expect, it } from 'vitest';
import type { FleetData } from '../../server/analysis/analysis.models.ts';
import { NOISE_PRESETS, simulateFleet } from '../../server/sim/fleet-sim.ts';
import { memAvailable, watermarks } from '../../server/sim/kernel-memory.ts';
import { changeScenario, DAY, FROM, HOUR, mem, MiB, MINUTE, series } from './helpers.ts';

const PAGE = 4096;

/** si_mem_available() of Linux 3.14–4.5, written out again here so the simulator's copy is checked. */
function expectedAvailable(
  free: number,
  activeFile: number,
  inactiveFile: number,
  sReclaimable: number,
  memTotal: number,
) {
  const minFreeKb = Math.min(65536, Math.max(128, Math.floor(Math.sqrt(Math.floor(memTotal / 1024) * 16))));
  const minPages = Math.floor(minFreeKb / 4);
  const low = minPages + Math.floor(minPages / 4);
  const pagecache = (activeFile + inactiveFile) / PAGE;
  const reclaimable = sReclaimable / PAGE;
  const pages =
    free / PAGE -
    low +
    pagecache -
    Math.min(Math.floor(pagecache / 2), low) +
    reclaimable -
    Math.min(Math.floor(reclaimable / 2), low);
  return Math.max(0, pages) * PAGE;
}

/** Checks every identity at every sample; returns the violations (the first few) and how many samples it read. */
function checkIdentities(fleet: FleetData): { violations: string[]; checked: number } {
  const violations: string[] = [];
  let checked = 0;
  const expectThat = (ok: boolean, what: string) => {
    if (!ok && violations.length < 10) violations.push(what);
  };
  for (const host of fleet.hosts) {
    const get = (field: string) => series(host, mem(field)).values;
    const [total, free, available, buffers, cached, swapCached, active, inactive] = [
      'MemTotal',
      'MemFree',
      'MemAvailable',
      'Buffers',
      'Cached',
      'SwapCached',
      'Active',
      'Inactive',
    ].map(get);
    const [activeAnon, inactiveAnon, activeFile, inactiveFile, anonPages, mapped, shmem, slab] = [
      'Active_anon',
      'Inactive_anon',
      'Active_file',
      'Inactive_file',
      'AnonPages',
      'Mapped',
      'Shmem',
      'Slab',
    ].map(get);
    const [sReclaimable, sUnreclaim, kernelStack, pageTables, dirty, swapFree, swapTotal] = [
      'SReclaimable',
      'SUnreclaim',
      'KernelStack',
      'PageTables',
      'Dirty',
      'SwapFree',
      'SwapTotal',
    ].map(get);
    const slabs = [...host.series.keys()]
      .filter((k) => k.startsWith('node_slabinfo_objects{'))
      .map((k) => ({
        objects: series(host, k).values,
        size: series(host, k.replace('node_slabinfo_objects', 'node_slabinfo_object_size_bytes')).values,
      }));
    const groups = [...host.series.keys()]
      .filter((k) => k.startsWith('namedprocess_namegroup_memory_bytes{'))
      .map((k) => series(host, k).values);
    const processTotal = series(host, 'onset_process_resident_total_bytes').values;
    const n = total!.length;
    let otherKernel: number | undefined;
    for (let i = 0; i < n; i++) {
      const x = (a: Float64Array | undefined) => a![i]!;
      const T = x(total);
      const ctx = `${host.host} sample ${i}`;
      expectThat(x(slab) === x(sReclaimable) + x(sUnreclaim), `${ctx}: Slab = SReclaimable + SUnreclaim`);
      expectThat(x(active) === x(activeAnon) + x(activeFile), `${ctx}: Active`);
      expectThat(x(inactive) === x(inactiveAnon) + x(inactiveFile), `${ctx}: Inactive`);
      expectThat(x(activeFile) + x(inactiveFile) === x(cached) - x(shmem) + x(buffers), `${ctx}: file LRU`);
      expectThat(x(activeAnon) + x(inactiveAnon) === x(anonPages) + x(shmem), `${ctx}: anon LRU`);
      expectThat(x(free) >= 0, `${ctx}: MemFree ≥ 0`);
      expectThat(
        x(mapped) <= x(cached) && x(shmem) <= x(cached) && x(dirty) <= x(cached),
        `${ctx}: parts of Cached`,
      );
      expectThat(x(swapFree) <= x(swapTotal), `${ctx}: SwapFree ≤ SwapTotal`);

      // MemFree is what the kernel's other counters leave; the rest (vmalloc, percpu, drivers) never changes.
      const used =
        x(anonPages) + x(cached) + x(swapCached) + x(buffers) + x(slab) + x(kernelStack) + x(pageTables);
      const other = T - x(free) - used;
      otherKernel ??= other;
      expectThat(
        other === otherKernel,
        `${ctx}: MemFree = MemTotal − used − constant (${other} ≠ ${otherKernel})`,
      );
      expectThat(
        other / T > 0.005 && other / T < 0.03,
        `${ctx}: unlisted kernel memory ${other / T} of MemTotal`,
      );

      const expected = expectedAvailable(x(free), x(activeFile), x(inactiveFile), x(sReclaimable), T);
      expectThat(x(available) === expected, `${ctx}: MemAvailable ${x(available)} ≠ ${expected}`);

      const slabObjectBytes = slabs.reduce((sum, s) => sum + x(s.objects) * x(s.size), 0);
      expectThat(slabObjectBytes <= x(slab), `${ctx}: slab objects × size ≤ Slab`);

      const resident = groups.reduce((sum, g) => sum + x(g), 0);
      expectThat(x(processTotal) === resident, `${ctx}: resident total = sum of groups`);
      // The processes' anonymous part (resident less mapped files and shared memory) is most of AnonPages.
      const anonOutsideGroups = x(anonPages) - (resident - x(mapped));
      expectThat(
        anonOutsideGroups >= -groups.length * PAGE && anonOutsideGroups / T < 0.05,
        `${ctx}: AnonPages vs processes (${anonOutsideGroups})`,
      );
      checked++;
    }
    for (const [key, s] of host.series) {
      for (const value of s.values) {
        expectThat(Number.isFinite(value), `${host.host} ${key}: finite`);
        if (key.startsWith('node_memory_')) expectThat(value % 1024 === 0, `${host.host} ${key}: whole kB`);
      }
    }
  }
  return { violations, checked };
}

describe('/proc/meminfo consistency', () => {
  it('holds at every sample of a noisy fleet with a slab leak', () => {
    const { fleet } = simulateFleet(
      changeScenario(
        { kind: 'slab-leak', slab: 'dentry', reclaimable: true, ratePerHour: 60 * MiB },
        { lag: { kind: 'highstate', intervalMs: HOUR, splayMs: 10 * MINUTE } },
        { hosts: 24, noise: { ...NOISE_PRESETS.high } },
      ),
    );
    const { violations, checked } = checkIdentities(fleet);
    expect(violations).toEqual([]);
    expect(checked).toBeGreaterThan(24 * 1000);
  });

  it('holds under memory pressure, through reclaim and the OOM killer', () => {
    // Leaks far larger than the hosts: the page cache is reclaimed, then the leaking process is killed.
    const { fleet, truth } = simulateFleet(
      changeScenario(
        { kind: 'process-leak', group: 'salt-minion', ratePerHour: 400 * MiB },
        { at: FROM + 2 * HOUR },
        { hosts: 30, seed: 11, to: FROM + 2 * DAY },
      ),
    );
    expect(truth.oomKills.size).toBeGreaterThan(5);
    expect(checkIdentities(fleet).violations).toEqual([]);
  });

  it('holds for a leak of unreclaimable slab that fills the hosts', () => {
    const { fleet, truth } = simulateFleet(
      changeScenario(
        { kind: 'slab-leak', slab: 'kmalloc-64', reclaimable: false, ratePerHour: 500 * MiB },
        { at: FROM + 2 * HOUR, lag: { kind: 'cron', everyMs: 15 * MINUTE } },
        { hosts: 20, seed: 12, to: FROM + 2 * DAY },
      ),
    );
    expect(truth.oomKills.size).toBeGreaterThan(0);
    expect(checkIdentities(fleet).violations).toEqual([]);
  });
});

describe('kernel memory arithmetic', () => {
  it('sets watermarks from MemTotal as mm/page_alloc.c does', () => {
    // 4 GiB: min_free_kbytes = sqrt(4194304 × 16) = 8192 kB = 2048 pages.
    expect(watermarks(4 * 1024 * MiB)).toEqual({ min: 2048 * PAGE, low: 2560 * PAGE, high: 3072 * PAGE });
    // Large hosts are capped at 65536 kB.
    expect(watermarks(512 * 1024 * MiB).min).toBe(16384 * PAGE);
  });

  it('counts reclaimable slab as available, less what the kernel keeps', () => {
    const low = 2560 * PAGE;
    const base = { memFree: 400 * MiB, activeFile: 300 * MiB, inactiveFile: 200 * MiB, sReclaimable: 0 };
    const withSlab = { ...base, sReclaimable: 1000 * MiB };
    // 1000 MiB of reclaimable slab adds 1000 MiB less min(500 MiB, low watermark).
    expect(memAvailable(withSlab, low) - memAvailable(base, low)).toBe(1000 * MiB - low);
    expect(memAvailable({ memFree: 0, activeFile: 0, inactiveFile: 0, sReclaimable: 0 }, low)).toBe(0);
  });
});
