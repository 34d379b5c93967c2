import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../server/cli/main.ts';
import { normals } from './series-fixtures.ts';

const T0 = Date.UTC(2017, 5, 26, 0, 0);
let dir: string;

/** 600 one-minute points, flat then growing from index 412 (06:52). */
function points(): { ts: number; value: number }[] {
  const z = normals(42);
  return Array.from({ length: 600 }, (_, i) => ({
    ts: T0 + i * 60_000,
    value: 1000 + 2 * z() + (i >= 412 ? (i - 412) * 2 : 0),
  }));
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onset-detect-'));
  const p = points();
  await writeFile(
    join(dir, 'series.csv'),
    'timestamp,value\n' +
      p.map((x, i) => `${i % 2 ? new Date(x.ts).toISOString() : x.ts},${x.value}`).join('\n'),
  );
  await writeFile(
    join(dir, 'series.json'),
    JSON.stringify(p.map((x) => ({ ts: new Date(x.ts).toISOString(), value: x.value }))),
  );
  await writeFile(join(dir, 'bad.csv'), `timestamp,value\n${T0},1\n${T0 + 60_000},x\n`);
  await writeFile(join(dir, 'bad.json'), '[{"ts": "yesterday", "value": 1}]');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onset detect', () => {
  it('prints the change points of a CSV file as JSON', async () => {
    const { code, out } = await run(['detect', join(dir, 'series.csv'), '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { changepoints: { index: number; ts: string; kind: string }[] };
    expect(parsed.changepoints).toHaveLength(1);
    const c = parsed.changepoints[0]!;
    expect(Math.abs(c.index - 412)).toBeLessThanOrEqual(2);
    expect(c.kind).toBe('slope');
    expect(c.ts).toMatch(/^2017-06-26T06:5\dZ$|^2017-06-26T06:5\d:00Z$/);
  });

  it('reads JSON and prints for a person without --json', async () => {
    const { code, out } = await run(['detect', join(dir, 'series.json')]);
    expect(code).toBe(0);
    expect(out).toMatch(/1 change point/);
    expect(out).toMatch(/#41\d\s+2017-06-26T06:5\d:00Z\s+slope/);
  });

  it('names the line of a bad value and exits 2', async () => {
    const { code, err } = await run(['detect', join(dir, 'bad.csv')]);
    expect(code).toBe(2);
    expect(err).toContain('bad.csv:3');
    const json = await run(['detect', join(dir, 'bad.json'), '--json']);
    expect(json.code).toBe(2);
    expect(json.err).toContain('element 0');
  });

  it('runs as the installed command', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      'bin/onset.js',
      'detect',
      join(dir, 'series.csv'),
      '--json',
    ]);
    const parsed = JSON.parse(stdout) as { changepoints: { index: number }[] };
    expect(parsed.changepoints.map((c) => Math.abs(c.index - 412) <= 2)).toEqual([true]);
  });
});
