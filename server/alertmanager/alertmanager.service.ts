import { createHash } from 'node:crypto';
import type { AlertInput, AlertOutcome, IncidentsService } from '../incidents/incidents.service.ts';
import type { AlertmanagerAlert, AlertmanagerPayload } from './alertmanager.schemas.ts';

export interface AlertmanagerResult extends AlertOutcome {
  received: number;
  memoryAlerts: number;
}

export interface AlertmanagerService {
  receive(payload: AlertmanagerPayload): Promise<AlertmanagerResult>;
}

/**
 * A memory alert: labelled `onset="true"`, or named for memory (`HostMemoryUsage`, `NodeLowMemory`,
 * "Memory usage is more than 80%"); `onset="false"` leaves an alert out whatever its name.
 */
export function isMemoryAlert(labels: Record<string, string>): boolean {
  const flag = labels['onset']?.toLowerCase();
  if (flag === 'true') return true;
  if (flag === 'false') return false;
  return /mem/i.test(labels['alertname'] ?? '');
}

/** The host an alert is about, named the way Salt names minions. */
export function alertHost(labels: Record<string, string>): string | null {
  for (const key of ['host', 'hostname', 'nodename']) {
    const value = labels[key]?.trim();
    if (value) return value;
  }
  const instance = labels['instance']?.trim();
  if (!instance) return null;
  // `host:9100`, `[2001:db8::1]:9100`, or a bare address.
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (bracketed?.[1]) return bracketed[1];
  const withPort = /^([^:]+):\d+$/.exec(instance);
  return withPort?.[1] ?? instance;
}

/** Alertmanager's own fingerprint when sent; otherwise one of the sorted label set, as it computes it. */
function fingerprintOf(a: AlertmanagerAlert): string {
  if (a.fingerprint) return a.fingerprint;
  const sorted = Object.entries(a.labels).sort(([x], [y]) => (x < y ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

export function createAlertmanagerService(deps: {
  incidents: Pick<IncidentsService, 'recordAlerts'>;
  now?: () => number;
}): AlertmanagerService {
  const now = deps.now ?? Date.now;
  return {
    async receive(payload) {
      const received = now();
      const byKey = new Map<string, AlertInput>();
      for (const a of payload.alerts) {
        const labels = a.labels as Record<string, string>;
        if (!isMemoryAlert(labels)) continue;
        const alert: AlertInput = {
          fingerprint: fingerprintOf(a),
          startsAt: a.startsAt ?? received,
          // A firing alert's endsAt is only Alertmanager's guess of when it times out.
          endsAt: a.status === 'resolved' ? (a.endsAt ?? received) : null,
          status: a.status,
          alertname: labels['alertname'] ?? 'unnamed alert',
          host: alertHost(labels),
          labels,
          annotations: (a.annotations ?? {}) as Record<string, string>,
        };
        byKey.set(`${alert.fingerprint}\0${alert.startsAt}`, alert);
      }
      const alerts = [...byKey.values()];
      const outcome = await deps.incidents.recordAlerts({ alerts });
      return { ...outcome, received: payload.alerts.length, memoryAlerts: alerts.length };
    },
  };
}
