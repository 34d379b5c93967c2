import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface HostIdentity {
  host: string;
  labels: Record<string, string>;
  /** Where the host name came from, for the start-up log. */
  hostSource: 'option' | 'minion_id' | 'hostname';
}

/** Grains that become labels, so that `G@role:web` targets the host. */
const GRAIN_LABELS = ['role', 'roles'];

/**
 * The host named as Salt names the minion: `--host`, else `<salt-dir>/minion_id`, else the hostname.
 * Labels are the `role`/`roles` grains of `<salt-dir>/grains` overlaid with `--label` options.
 */
export async function resolveHostIdentity(options: {
  host?: string | undefined;
  saltDir: string;
  labels: Record<string, string>;
  onWarning?: (message: string) => void;
}): Promise<HostIdentity> {
  const labels = { ...(await readGrainLabels(options.saltDir, options.onWarning)), ...options.labels };
  if (options.host) return { host: options.host, labels, hostSource: 'option' };
  const minionId = readOptional(join(options.saltDir, 'minion_id'))?.trim();
  if (minionId) return { host: minionId, labels, hostSource: 'minion_id' };
  return { host: hostname(), labels, hostSource: 'hostname' };
}

export async function readGrainLabels(
  saltDir: string,
  onWarning?: (message: string) => void,
): Promise<Record<string, string>> {
  const path = join(saltDir, 'grains');
  const text = readOptional(path);
  if (text === undefined) return {};
  let grains: unknown;
  try {
    // Loaded only where a grains file exists: the parser costs several MiB of resident memory.
    const { parse } = await import('yaml');
    grains = parse(text);
  } catch (err) {
    onWarning?.(`cannot parse ${path}: ${(err as Error).message}`);
    return {};
  }
  if (grains === null || typeof grains !== 'object' || Array.isArray(grains)) return {};
  const labels: Record<string, string> = {};
  for (const name of GRAIN_LABELS) {
    const value = labelValue((grains as Record<string, unknown>)[name]);
    if (value !== undefined) labels[name] = value;
  }
  return labels;
}

/** A scalar as text; a list as its items separated by commas, the way the contract matches label lists. */
function labelValue(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    const items = value.filter(isScalar).map(String);
    return items.length > 0 ? items.join(',') : undefined;
  }
  return isScalar(value) ? String(value) : undefined;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
