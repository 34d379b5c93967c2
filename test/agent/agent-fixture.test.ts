import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectPageSize } from '../../server/agent/process.reader.ts';
import { AgentProcess, FIXTURES, ROOT } from './agent-process.ts';
import { FakeServer } from './fake-server.ts';

// Every field of fixtures/proc/meminfo in node_exporter's names, worked out apart from the agent's code.
const expectedMeminfo = JSON.parse(readFileSync(join(FIXTURES, 'expected-meminfo.json'), 'utf8')) as Record<
  string,
  number
>;

describe('onset agent against a fake procfs tree', () => {
  let server: FakeServer;
  let agent: AgentProcess | undefined;
  let spoolDir: string;

  beforeEach(async () => {
    server = new FakeServer();
    await server.start();
    spoolDir = mkdtempSync(join(tmpdir(), 'onset-agent-spool-'));
  });

  afterEach(async () => {
    await agent?.stop();
    await server.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  it('pushes the fixture values: every meminfo field, slab cache bytes and process groups', async () => {
    agent = new AgentProcess([
      '--server',
      server.url,
      '--token-file',
      join(FIXTURES, 'token'),
      '--procfs',
      join(FIXTURES, 'proc'),
      '--salt-dir',
      join(FIXTURES, 'salt'),
      '--label',
      'dc=ams1',
      '--spool-dir',
      spoolDir,
      '--interval',
      '1s',
      '--top-slabs',
      '3',
      '--top-processes',
      '3',
    ]);
    agent.start();
    await server.waitFor(() => server.requests.length > 0);
    const request = server.requests[0]!;

    expect(request.method).toBe('POST');
    expect(request.url).toBe('/api/v1/samples');
    expect(request.headers['content-encoding']).toBe('gzip');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBe('Bearer fixture-ingest-token');

    const host = request.body.hosts[0]!;
    expect(host.host).toBe('web-001.ams1.example.net');
    expect(host.labels).toEqual({ roles: 'web,fleet_api', dc: 'ams1' });
    const values = host.samples[0]!.values;

    // Every meminfo field, and no other node_memory_ series.
    const meminfo = Object.fromEntries(
      Object.entries(values).filter(([key]) => key.startsWith('node_memory_')),
    );
    expect(meminfo).toEqual(expectedMeminfo);
    expect(Object.keys(meminfo)).toHaveLength(54);
    expect(values['node_memory_Active_anon_bytes']).toBe(expectedMeminfo['node_memory_Active_anon_bytes']);
    expect(values['node_memory_SReclaimable_bytes']).toBe(482496 * 1024);
    expect(values['node_memory_HugePages_Total']).toBe(4);

    // The three largest caches by bytes: kmalloc-8 has more objects than two of them but fewer bytes.
    const slabBytes = (slab: string) =>
      values[`node_slabinfo_objects{slab="${slab}"}`]! *
      values[`node_slabinfo_object_size_bytes{slab="${slab}"}`]!;
    expect(slabBytes('dentry')).toBe(1633023 * 192);
    expect(slabBytes('inode_cache')).toBe(41132 * 600);
    expect(slabBytes('ext4_inode_cache')).toBe(20020 * 1184);
    expect(values['node_slabinfo_active_objects{slab="dentry"}']).toBe(1633000);
    expect(Object.keys(values).filter((k) => k.startsWith('node_slabinfo_objects{'))).toHaveLength(3);

    // Process groups by command name: the three largest, then `other`; the kernel thread counts nowhere.
    const page = detectPageSize();
    const groups = Object.fromEntries(
      Object.entries(values)
        .filter(([key]) => key.startsWith('namedprocess_namegroup_memory_bytes'))
        .map(([key, value]) => [/groupname="([^"]*)"/.exec(key)![1], value]),
    );
    expect(groups).toEqual({
      'salt-minion': 11000 * page,
      nginx: (2500 + 2700) * page,
      systemd: 3200 * page,
      other: (1500 + 900) * page,
    });
    expect(values['namedprocess_namegroup_memory_bytes{groupname="nginx",memtype="resident"}']).toBe(
      5200 * page,
    );
    expect(values['namedprocess_namegroup_num_procs{groupname="nginx"}']).toBe(2);
    expect(values['namedprocess_namegroup_num_procs{groupname="other"}']).toBe(2);
    expect(values['onset_process_resident_total_bytes']).toBe(21800 * page);
    expect(values['onset_agent_spool_dropped_samples_total']).toBe(0);
  });

  it('never writes the token to its log', async () => {
    agent = new AgentProcess(
      [
        '--server',
        server.url,
        '--procfs',
        join(FIXTURES, 'proc'),
        '--spool-dir',
        spoolDir,
        '--interval',
        '1s',
      ],
      { ONSET_TOKEN: 'secret-token-123' },
    );
    agent.start();
    await server.waitFor(() => server.requests.length > 0);
    await agent.stop();
    expect(server.requests[0]!.headers.authorization).toBe('Bearer secret-token-123');
    expect(agent.stderr).not.toContain('secret-token-123');
    expect(agent.logs.some((l) => l.msg === 'agent started')).toBe(true);
  });

  it('prints one snapshot with --once, and sends nothing', () => {
    const out = execFileSync(
      process.execPath,
      [
        'bin/onset.js',
        'agent',
        '--once',
        '--procfs',
        join(FIXTURES, 'proc'),
        '--salt-dir',
        join(FIXTURES, 'salt'),
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const body = JSON.parse(out) as {
      hosts: { host: string; samples: { values: Record<string, number> }[] }[];
    };
    expect(body.hosts[0]!.host).toBe('web-001.ams1.example.net');
    expect(body.hosts[0]!.samples[0]!.values['node_memory_SReclaimable_bytes']).toBe(482496 * 1024);
    expect(server.requests).toHaveLength(0);
  });
});
