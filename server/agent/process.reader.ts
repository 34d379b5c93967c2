import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { byName, metricKey, type MetricValues } from './metric-key.ts';
import type { ProcFileReader } from './proc-file.reader.ts';

export interface ProcessGroup {
  name: string;
  residentBytes: number;
  procs: number;
}

// PF_KTHREAD in the flags field of /proc/<pid>/stat: kernel threads have no memory of their own.
const PF_KTHREAD = 0x00200000;

/** The name of the group that holds every process outside the largest groups. */
export const OTHER_GROUP = 'other';

/**
 * `comm` and resident pages from one `/proc/<pid>/stat` line. `comm` may hold spaces and parentheses,
 * so it ends at the last `)`.
 */
export function parseProcStat(
  line: string,
): { comm: string; rssPages: number; kernelThread: boolean } | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = line.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): flags is field 9, rss field 24.
  const flags = Number(rest[6]);
  const rssPages = Number(rest[21]);
  if (!Number.isFinite(rssPages) || !Number.isFinite(flags)) return null;
  return { comm: line.slice(open + 1, close), rssPages, kernelThread: (flags & PF_KTHREAD) !== 0 };
}

/**
 * Resident memory of every user-space process, grouped by command name. One small read per process
 * (`/proc/<pid>/stat` holds both `comm` and the resident page count): far cheaper than parsing `status`.
 */
export function readProcessGroups(procfs: string, pageSize: number, files: ProcFileReader): ProcessGroup[] {
  const groups = new Map<string, ProcessGroup>();
  for (const entry of readdirSync(procfs)) {
    if (!/^\d+$/.test(entry)) continue;
    let line: string;
    try {
      line = files.read(join(procfs, entry, 'stat'));
    } catch (err) {
      // The process exited between readdir and read.
      if (isVanished(err)) continue;
      throw err;
    }
    const stat = parseProcStat(line);
    if (stat === null || stat.kernelThread) continue;
    const group = groups.get(stat.comm) ?? { name: stat.comm, residentBytes: 0, procs: 0 };
    group.residentBytes += stat.rssPages * pageSize;
    group.procs += 1;
    groups.set(stat.comm, group);
  }
  return [...groups.values()];
}

function isVanished(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES';
}

/**
 * The `top` largest groups in process-exporter's names plus an `other` group for the rest, and the total
 * resident memory of all processes.
 */
export function processMetrics(groups: ProcessGroup[], top: number): MetricValues {
  const sorted = [...groups].sort((a, b) => b.residentBytes - a.residentBytes || byName(a, b));
  const shown = sorted.slice(0, top);
  const rest = sorted.slice(top);
  if (rest.length > 0) {
    shown.push({
      name: OTHER_GROUP,
      residentBytes: rest.reduce((sum, g) => sum + g.residentBytes, 0),
      procs: rest.reduce((sum, g) => sum + g.procs, 0),
    });
  }
  const values: MetricValues = {};
  for (const group of shown) {
    const key = metricKey('namedprocess_namegroup_memory_bytes', {
      groupname: group.name,
      memtype: 'resident',
    });
    // A command named `other` folds into the group of the same name.
    values[key] = (values[key] ?? 0) + group.residentBytes;
    const procsKey = metricKey('namedprocess_namegroup_num_procs', { groupname: group.name });
    values[procsKey] = (values[procsKey] ?? 0) + group.procs;
  }
  values['onset_process_resident_total_bytes'] = groups.reduce((sum, g) => sum + g.residentBytes, 0);
  return values;
}

/**
 * The kernel's page size, from `KernelPageSize` of the first mapping in `/proc/self/smaps` (Node has no
 * sysconf); 4096 where that is not readable.
 */
export function detectPageSize(): number {
  try {
    const fd = openSync('/proc/self/smaps', 'r');
    try {
      const head = Buffer.alloc(4096);
      const length = readSync(fd, head, 0, head.length, 0);
      const match = /KernelPageSize:\s+(\d+) kB/.exec(head.toString('latin1', 0, length));
      if (match?.[1]) return Number(match[1]) * 1024;
    } finally {
      closeSync(fd);
    }
  } catch {
    // fall through to the common default
  }
  return 4096;
}
