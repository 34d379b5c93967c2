import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, type SpoolRecord } from '../../server/agent/spool.ts';

const record = (ts: number, extra = 0): SpoolRecord => ({
  host: 'web-001',
  labels: { role: 'web' },
  ts,
  values: { node_memory_MemFree_bytes: ts + extra },
});

describe('spool', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onset-spool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (options: Partial<Parameters<typeof Spool.open>[1]> = {}) =>
    Spool.open(dir, { maxBytes: 256 * 1024 * 1024, maxAgeMs: 7 * 86_400_000, ...options });

  it('hands out what was appended, oldest first, and deletes a segment only when told', () => {
    const spool = open({ segmentMaxBytes: 300 });
    for (let ts = 1; ts <= 10; ts++) spool.append(record(ts));
    const seen: number[] = [];
    for (let segment = spool.next(); segment; segment = spool.next()) {
      seen.push(...spool.read(segment).records.map((r) => r.ts));
      spool.remove(segment);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(spool.stats()).toMatchObject({ segments: 0, bytes: 0 });
    spool.close();
  });

  it('replays what a stopped agent left, oldest first, without losing a sample', () => {
    const first = open({ segmentMaxBytes: 300 });
    for (let ts = 1; ts <= 6; ts++) first.append(record(ts));
    // One segment was delivered before the restart; one was handed out but not yet stored.
    const delivered = first.next()!;
    first.remove(delivered);
    first.next();
    first.close();

    const second = open({ segmentMaxBytes: 300 });
    second.append(record(7));
    const seen: number[] = [];
    for (let segment = second.next(); segment; segment = second.next()) {
      seen.push(...second.read(segment).records.map((r) => r.ts));
      second.remove(segment);
    }
    const deliveredCount = 6 - seen.filter((ts) => ts <= 6).length;
    expect(deliveredCount).toBeGreaterThan(0);
    expect(seen).toEqual([
      ...Array.from({ length: 6 - deliveredCount }, (_, i) => i + 1 + deliveredCount),
      7,
    ]);
    second.close();
  });

  it('skips the torn last line a crash left, and keeps every complete line', () => {
    const spool = open();
    spool.append(record(1));
    spool.append(record(2));
    // Simulate a crash in the middle of the write (no clean close, lock left behind).
    const [segment] = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
    appendFileSync(join(dir, segment!), '{"host":"web-001","labels":{},"ts":3,"val');

    const restarted = open();
    const next = restarted.next()!;
    const { records, tornLines } = restarted.read(next);
    expect(records.map((r) => r.ts)).toEqual([1, 2]);
    expect(tornLines).toBe(1);
    restarted.close();
  });

  it('drops the oldest segments beyond its size, and counts the samples dropped across restarts', () => {
    const dropped: { samples: number; reason: string }[] = [];
    const line = JSON.stringify(record(1_000_000)).length + 1;
    const spool = open({ maxBytes: line * 10, segmentMaxBytes: line * 2, onDrop: (e) => dropped.push(e) });
    for (let ts = 1_000_000; ts < 1_000_000 + 20; ts++) spool.append(record(ts));
    expect(spool.stats().bytes).toBeLessThanOrEqual(line * 10);
    const total = dropped.reduce((sum, e) => sum + e.samples, 0);
    expect(total).toBe(10);
    expect(dropped.every((e) => e.reason === 'size')).toBe(true);
    expect(spool.stats().droppedSamples).toBe(10);
    // What remains is the newest.
    const first = spool.next()!;
    expect(spool.read(first).records[0]!.ts).toBe(1_000_000 + 10);
    spool.close();
    expect(open().stats().droppedSamples).toBe(10);
  });

  it('drops segments older than its age limit', () => {
    let now = Date.parse('2017-06-26T06:00:00Z');
    const dropped: number[] = [];
    const spool = open({
      maxAgeMs: 60_000,
      segmentMaxBytes: 1,
      now: () => now,
      onDrop: (e) => dropped.push(e.samples),
    });
    spool.append(record(1));
    spool.append(record(2));
    now += 61_000;
    spool.append(record(3));
    expect(dropped).toEqual([1, 1]);
    expect(spool.stats().droppedSamples).toBe(2);
    spool.close();
  });

  it('refuses a spool another running agent holds, and takes over one a dead agent left', () => {
    writeFileSync(join(dir, 'agent.lock'), String(process.ppid));
    expect(() => open()).toThrow(/locked by running process/);
    writeFileSync(join(dir, 'agent.lock'), '999999999');
    const spool = open();
    expect(readFileSync(join(dir, 'agent.lock'), 'utf8')).toBe(String(process.pid));
    spool.close();
  });
});
