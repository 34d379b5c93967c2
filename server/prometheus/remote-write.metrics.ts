import { Counter, type Registry } from 'prom-client';

export interface RemoteWriteMetrics {
  series: Counter<'outcome'>;
  samples: Counter<'outcome'>;
  rejected: Counter<'code'>;
}

/** Counters on the app's registry; an app built twice on one registry shares them. */
export function createRemoteWriteMetrics(registry: Registry): RemoteWriteMetrics {
  const counter = <L extends string>(name: string, help: string, label: L): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames: [label], registers: [registry] });
  return {
    series: counter(
      'onset_remote_write_series_total',
      'Series in stored remote-write requests: accepted, or ignored because onset does not analyse them.',
      'outcome',
    ),
    samples: counter(
      'onset_remote_write_samples_total',
      'Samples in stored remote-write requests: accepted, ignored (their series was), or skipped (NaN, stale markers).',
      'outcome',
    ),
    rejected: counter(
      'onset_remote_write_rejected_requests_total',
      'Remote-write requests answered with an error, by error code.',
      'code',
    ),
  };
}
