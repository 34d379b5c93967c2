import { randomBytes } from 'node:crypto';
import type { IngestBody } from '../../server/ingest/ingest.schemas.ts';

type HostBody = IngestBody['hosts'][number];

/** A host name no other test uses. */
export function uniqueHost(prefix = 'web'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}.example.net`;
}

export const minute = 60_000;

/** A host with `count` samples a minute apart from `start`, each holding the given metrics. */
export function buildHost(
  partial: Partial<HostBody> & { start?: number; count?: number; metrics?: string[] } = {},
): HostBody {
  const {
    start = Date.UTC(2017, 5, 26, 6, 0),
    count = 3,
    metrics = ['node_memory_Slab_bytes'],
    ...rest
  } = partial;
  return {
    host: uniqueHost(),
    labels: { role: 'web', dc: 'ams1' },
    samples: Array.from({ length: count }, (_, i) => ({
      ts: new Date(start + i * minute).toISOString(),
      values: Object.fromEntries(metrics.map((m, j) => [m, 1_000_000 + i * 1000 + j])),
    })),
    ...rest,
  };
}

export function buildBatch(hosts: Array<Partial<Parameters<typeof buildHost>[0]>> = [{}]): IngestBody {
  return { hosts: hosts.map((h) => buildHost(h)) };
}
