/** How the Linux kernel derives the `/proc/meminfo` figures the simulator reports. All sizes in bytes. */

export const PAGE_BYTES = 4096;

/** Rounds up to whole pages: the kernel counts memory in pages. */
export function ceilPages(bytes: number): number {
  return bytes <= 0 ? 0 : Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES;
}

export interface Watermarks {
  min: number;
  low: number;
  high: number;
}

/**
 * The zone watermarks summed over zones, as mm/page_alloc.c sets them: min_free_kbytes = sqrt(lowmem_kbytes
 * × 16) clamped to [128, 65536] kB (64-bit: all memory is lowmem); low = min + min/4; high = min + min/2.
 */
export function watermarks(memTotal: number): Watermarks {
  const kb = Math.floor(memTotal / 1024);
  const minFreeKb = Math.min(65536, Math.max(128, Math.floor(Math.sqrt(kb * 16))));
  const minPages = Math.floor(minFreeKb / 4);
  return {
    min: minPages * PAGE_BYTES,
    low: (minPages + Math.floor(minPages / 4)) * PAGE_BYTES,
    high: (minPages + Math.floor(minPages / 2)) * PAGE_BYTES,
  };
}

export interface AvailableInputs {
  memFree: number;
  activeFile: number;
  inactiveFile: number;
  sReclaimable: number;
}

/**
 * MemAvailable as si_mem_available() computes it (Linux 3.14 to 4.5, which subtracts the low watermark; later
 * kernels subtract totalreserve_pages, close to the high watermark): free memory above the low watermark,
 * plus the page cache and the reclaimable slab, each less the part the kernel assumes it cannot reclaim.
 */
export function memAvailable(m: AvailableInputs, wmarkLow: number): number {
  const low = Math.floor(wmarkLow / PAGE_BYTES);
  let available = Math.floor(m.memFree / PAGE_BYTES) - low;
  const pagecache = Math.floor((m.activeFile + m.inactiveFile) / PAGE_BYTES);
  available += pagecache - Math.min(Math.floor(pagecache / 2), low);
  const reclaimable = Math.floor(m.sReclaimable / PAGE_BYTES);
  available += reclaimable - Math.min(Math.floor(reclaimable / 2), low);
  return Math.max(0, available) * PAGE_BYTES;
}
