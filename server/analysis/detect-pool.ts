/**
 * Per-host detection on a pool of worker threads. Hosts are independent, so they go out in small groups
 * to whichever worker is free; their grids are transferred (not copied) and come back with the results.
 * Workers start at the first use and stay; they hold the process open only while they work.
 */
import { Worker } from 'node:worker_threads';
import type { AnalyzeOptions, HostResult } from './analyze-fleet.ts';
import type { DetectReply, DetectTask } from './detect-worker.ts';
import { type HostGrids, gridBuffers } from './slot-grid.ts';

const entry = new URL('./worker-entry.js', import.meta.url);
const body = new URL('./detect-worker.ts', import.meta.url).href;
// Hosts per message: few enough that the workers finish a batch together, enough that a message's own
// cost (about 0.1 ms) stays small against detection (a few ms a host).
const HOSTS_PER_TASK = 16;

export interface DetectPool {
  readonly size: number;
  /**
   * Detection on the hosts, results in their order. Their grids travel to a worker and back: they are
   * unreadable until the promise settles.
   */
  detect(
    hosts: HostGrids[],
    window: { from: number; to: number },
    options?: AnalyzeOptions,
  ): Promise<HostResult[]>;
  close(): Promise<void>;
}

interface Job {
  task: DetectTask;
  hosts: HostGrids[];
  resolve(results: HostResult[]): void;
  reject(err: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

export function createDetectPool(size: number): DetectPool {
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let nextId = 0;
  let closed = false;

  function settle(slot: Slot, reply: DetectReply): void {
    const job = slot.job;
    slot.job = null;
    slot.worker.unref();
    if (job && job.task.id === reply.id) {
      // The grids are back: hand them to the caller's objects.
      reply.hosts.forEach((h, i) => ((job.hosts[i] as HostGrids).series = h.series));
      if ('error' in reply) job.reject(new Error(`detection failed in a worker: ${reply.error}`));
      else job.resolve(reply.results);
    }
    dispatch();
  }

  function lose(slot: Slot, err: Error): void {
    slots.splice(slots.indexOf(slot), 1);
    slot.job?.reject(err);
    slot.job = null;
    dispatch();
  }

  function spawn(): Slot {
    const worker = new Worker(entry, { workerData: { module: body } });
    const slot: Slot = { worker, job: null };
    worker.on('message', (reply: DetectReply) => settle(slot, reply));
    worker.on('error', (err) => lose(slot, err));
    worker.on('exit', (code) => {
      if (slots.includes(slot)) lose(slot, new Error(`detection worker stopped (exit code ${code})`));
    });
    worker.unref();
    slots.push(slot);
    return slot;
  }

  function dispatch(): void {
    if (closed) return;
    while (queue.length > 0) {
      const slot = slots.find((s) => s.job === null) ?? (slots.length < size ? spawn() : undefined);
      if (!slot) return;
      const job = queue.shift() as Job;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.task, gridBuffers(job.task.hosts));
    }
  }

  return {
    size,
    async detect(hosts, window, options = {}) {
      if (closed) throw new Error('the detection pool is closed');
      const parts: Promise<HostResult[]>[] = [];
      for (let i = 0; i < hosts.length; i += HOSTS_PER_TASK) {
        const group = hosts.slice(i, i + HOSTS_PER_TASK);
        parts.push(
          new Promise<HostResult[]>((resolve, reject) => {
            const task: DetectTask = {
              id: nextId++,
              from: window.from,
              to: window.to,
              options,
              hosts: group,
            };
            queue.push({ task, hosts: group, resolve, reject });
          }),
        );
      }
      dispatch();
      return (await Promise.all(parts)).flat();
    },
    async close() {
      closed = true;
      const err = new Error('the detection pool is closed');
      for (const job of queue.splice(0)) job.reject(err);
      const all = slots.splice(0);
      await Promise.all(all.map((s) => s.worker.terminate()));
      for (const s of all) s.job?.reject(err);
    },
  };
}
