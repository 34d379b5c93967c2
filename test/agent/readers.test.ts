import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AgentUsageError,
  parseAgentConfig,
  parseDuration,
  parseSize,
} from '../../server/agent/agent.config.ts';
import { readGrainLabels } from '../../server/agent/host-identity.reader.ts';
import { parseMeminfo } from '../../server/agent/meminfo.reader.ts';
import { metricKey } from '../../server/agent/metric-key.ts';
import { parseProcStat, processMetrics } from '../../server/agent/process.reader.ts';
import { parseSlabinfo } from '../../server/agent/slabinfo.reader.ts';

describe('readers', () => {
  it('names meminfo fields as node_exporter does', () => {
    expect(
      parseMeminfo('Active(anon):    1481236 kB\nHugePages_Total:       4\nHugepagesize:    2048 kB\n'),
    ).toEqual({
      node_memory_Active_anon_bytes: 1481236 * 1024,
      node_memory_HugePages_Total: 4,
      node_memory_Hugepagesize_bytes: 2048 * 1024,
    });
  });

  it('reads comm up to the last parenthesis, and spots kernel threads', () => {
    const line =
      '1200 (tmux: server (1)) S 1 1200 1200 0 -1 4194560 2975 0 0 0 12 5 0 0 20 0 1 0 4450 11059200 900 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ comm: 'tmux: server (1)', rssPages: 900, kernelThread: false });
    const kthread = '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 2 0 0 18446744073709551615';
    expect(parseProcStat(kthread)?.kernelThread).toBe(true);
  });

  it('folds a command named "other" into the other group', () => {
    const values = processMetrics(
      [
        { name: 'big', residentBytes: 100, procs: 1 },
        { name: 'other', residentBytes: 10, procs: 1 },
        { name: 'small', residentBytes: 5, procs: 2 },
      ],
      1,
    );
    expect(
      values[metricKey('namedprocess_namegroup_memory_bytes', { groupname: 'other', memtype: 'resident' })],
    ).toBe(15);
    expect(values[metricKey('namedprocess_namegroup_num_procs', { groupname: 'other' })]).toBe(3);
    expect(values.onset_process_resident_total_bytes).toBe(115);
  });

  it('refuses a slabinfo format it does not know', () => {
    expect(() => parseSlabinfo('slabinfo - version: 1.1\n')).toThrow(/unsupported slabinfo/);
  });

  it('escapes label values', () => {
    expect(metricKey('m', { slab: 'a"b\\c' })).toBe('m{slab="a\\"b\\\\c"}');
  });

  it('takes role grains as labels, a list joined by commas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onset-grains-'));
    writeFileSync(join(dir, 'grains'), 'role: db\nroles: [web, 2]\nother: x\n');
    expect(await readGrainLabels(dir)).toEqual({ role: 'db', roles: 'web,2' });
    writeFileSync(join(dir, 'grains'), 'roles: [unclosed\n');
    const warnings: string[] = [];
    expect(await readGrainLabels(dir, (m) => warnings.push(m))).toEqual({});
    expect(warnings).toHaveLength(1);
    rmSync(dir, { recursive: true });
  });
});

describe('agent options', () => {
  it('parses durations and sizes', () => {
    expect(parseDuration('15s')).toBe(15_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseSize('256MiB')).toBe(256 * 1024 * 1024);
    expect(parseSize('100MB')).toBe(100_000_000);
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('12 parsecs')).toBeUndefined();
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      parseAgentConfig(['--interval', 'often', '--label', 'novalue', '--spool-max-bytes', 'lots'], {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AgentUsageError);
    const message = (error as Error).message;
    for (const part of ['--server', '--interval', '--label', '--spool-max-bytes'])
      expect(message).toContain(part);
  });

  it('takes the server and token from the environment, and the spool from systemd', () => {
    const dir = mkdtempSync(join(tmpdir(), 'onset-token-'));
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const config = parseAgentConfig([], {
      ONSET_SERVER: 'https://onset.example.net/prefix',
      ONSET_TOKEN_FILE: join(dir, 'token'),
      STATE_DIRECTORY: '/var/lib/onset-agent',
    });
    expect(config).toMatchObject({
      server: 'https://onset.example.net/prefix',
      token: 'from-file',
      spoolDir: '/var/lib/onset-agent',
      intervalMs: 15_000,
      spoolMaxBytes: 256 * 1024 * 1024,
      spoolMaxAgeMs: 7 * 86_400_000,
      topSlabs: 20,
      topProcesses: 15,
    });
    expect(parseAgentConfig(['--once'], {}, false)?.spoolDir).toBe('./data/agent-spool');
    expect(parseAgentConfig(['--once'], {}, true)?.spoolDir).toBe('/var/lib/onset-agent');
    rmSync(dir, { recursive: true });
  });
});
