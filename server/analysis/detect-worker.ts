/**
 * A detection worker's body (only a worker loads it): per-host detection on the hosts it is sent, answering their results and
 * handing their grids back (see detect-pool.ts).
 */
import { parentPort } from 'node:worker_threads';
import { type AnalyzeOptions, type HostResult, analyzeHost } from './analyze-fleet.ts';
import { type HostGrids, gridBuffers, hostSeries } from './slot-grid.ts';

export interface DetectTask {
  id: number;
  from: number;
  to: number;
  options: AnalyzeOptions;
  hosts: HostGrids[];
}

export type DetectReply = { id: number; hosts: HostGrids[] } & (
  { results: HostResult[] } | { error: string }
);

parentPort?.on('message', (task: DetectTask) => {
  let reply: DetectReply;
  try {
    const results = task.hosts.map((h) => analyzeHost(hostSeries(h, task.from, task.to), task.options));
    reply = { id: task.id, hosts: task.hosts, results };
  } catch (err) {
    reply = {
      id: task.id,
      hosts: task.hosts,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    };
  }
  parentPort?.postMessage(reply, gridBuffers(task.hosts));
});
