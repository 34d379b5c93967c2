// A worker thread starts without the parent's module hooks: register tsx here, then load the worker's
// TypeScript body named by the parent (see detect-pool.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
