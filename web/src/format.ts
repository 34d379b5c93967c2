const pad = (n: number) => String(n).padStart(2, '0');

/** `2017-06-26 06:51 UTC`: one time zone for everyone on the incident. */
export function formatTime(ms: number, withZone = true): string {
  const d = new Date(ms);
  const text = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return withZone ? `${text} UTC` : text;
}

export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = abs;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${bytes < 0 ? '−' : ''}${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

export const formatPercent = (share: number, digits = 0) => `${(share * 100).toFixed(digits)}%`;

export function formatMinutes(minutes: number): string {
  const sign = minutes < 0 ? '−' : '+';
  const m = Math.abs(minutes);
  return m < 90 ? `${sign}${Math.round(m)} min` : `${sign}${(m / 60).toFixed(1)} h`;
}

export function formatPValue(p: number): string {
  return p < 1e-4 ? `< 10⁻${Math.min(99, Math.floor(-Math.log10(p)))}` : p.toPrecision(2);
}

/** `node_memory_SReclaimable_bytes` → `SReclaimable`. */
export function shortMetric(metric: string): string {
  return metric.replace(/^node_memory_/, '').replace(/_bytes$/, '');
}
