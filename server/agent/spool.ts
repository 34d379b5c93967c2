import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { MetricValues } from './metric-key.ts';

/** One sample of one host, as it waits in the spool and as it is sent. */
export interface SpoolRecord {
  host: string;
  labels: Record<string, string>;
  /** Epoch milliseconds. */
  ts: number;
  values: MetricValues;
}

export interface SpoolOptions {
  maxBytes: number;
  maxAgeMs: number;
  /** A segment is sealed once it holds this much, so that the oldest data can be dropped in small steps. */
  segmentMaxBytes?: number;
  /** … or once it is this old. */
  segmentMaxAgeMs?: number;
  now?: () => number;
  onDrop?: (event: { segment: string; samples: number; reason: 'size' | 'age' }) => void;
}

export interface Segment {
  name: string;
  path: string;
}

interface SegmentInfo {
  name: string;
  bytes: number;
  /** Unknown for segments left by an earlier run until they are read. */
  lines: number | undefined;
  createdAt: number;
  modifiedAt: number;
}

const SEGMENT = /^(\d{12})\.ndjson$/;
const STATE_FILE = 'state.json';
const LOCK_FILE = 'agent.lock';

/**
 * A disk spool of NDJSON segment files. Every sample is appended and fsync'd before it is sent; a segment
 * is deleted only once the server has stored all of it. Segments left by an earlier run are replayed oldest
 * first. Bounded by size and age: the oldest segments are dropped first, and the drop is counted.
 */
export class Spool {
  private readonly segments: SegmentInfo[] = [];
  private active: { info: SegmentInfo; fd: number } | undefined;
  private inFlight: string | undefined;
  private nextSeq: number;
  private droppedSamples: number;
  private readonly now: () => number;
  private readonly segmentMaxBytes: number;
  private readonly segmentMaxAgeMs: number;

  private constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.segmentMaxBytes = options.segmentMaxBytes ?? 1024 * 1024;
    this.segmentMaxAgeMs = options.segmentMaxAgeMs ?? 60 * 60 * 1000;
    for (const name of readdirSync(dir).sort()) {
      if (!SEGMENT.test(name)) continue;
      const stat = statSync(join(dir, name));
      this.segments.push({
        name,
        bytes: stat.size,
        lines: undefined,
        createdAt: stat.mtimeMs,
        modifiedAt: stat.mtimeMs,
      });
    }
    const last = this.segments.at(-1);
    this.nextSeq = last ? Number(SEGMENT.exec(last.name)?.[1]) + 1 : 1;
    this.droppedSamples = this.readState().droppedSamples;
  }

  /** Opens (and creates) the spool directory and takes its lock: two agents must not share one spool. */
  static open(dir: string, options: SpoolOptions): Spool {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    takeLock(join(dir, LOCK_FILE));
    const spool = new Spool(dir, options);
    spool.enforceLimits();
    return spool;
  }

  /** Appends one record durably (written and fsync'd when this returns). */
  append(record: SpoolRecord): void {
    const line = Buffer.from(JSON.stringify(record) + '\n');
    const active = this.activeSegment();
    try {
      writeAll(active.fd, line);
      fsyncSync(active.fd);
    } catch (err) {
      // A half-written line (disk full) must not swallow the next one: the next sample starts a new segment.
      this.seal();
      throw err;
    }
    active.info.bytes += line.length;
    active.info.lines = (active.info.lines ?? 0) + 1;
    active.info.modifiedAt = this.now();
    if (active.info.bytes >= this.segmentMaxBytes) this.seal();
    this.enforceLimits();
  }

  /**
   * The oldest segment waiting to be sent. When only the segment being written holds data, it is sealed
   * first, so that what the sender reads never changes under it.
   */
  next(): Segment | undefined {
    let oldest = this.segments.find((s) => s !== this.active?.info);
    if (!oldest && this.active && this.active.info.bytes > 0) {
      oldest = this.active.info;
      this.seal();
    }
    if (!oldest) return undefined;
    this.inFlight = oldest.name;
    return { name: oldest.name, path: join(this.dir, oldest.name) };
  }

  /**
   * The records of a sealed segment. Lines that do not parse (the torn last line of a crash) are skipped
   * and counted: they were never completely written, so no sample is lost that was spooled.
   */
  read(segment: Segment): { records: SpoolRecord[]; tornLines: number } {
    let text: string;
    try {
      text = readFileSync(segment.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], tornLines: 0 };
      throw err;
    }
    const records: SpoolRecord[] = [];
    let tornLines = 0;
    const lines = text.split('\n');
    // After a final newline the last piece is empty; anything else there is a torn write.
    const last = lines.pop();
    if (last) tornLines += 1;
    for (const line of lines) {
      try {
        records.push(JSON.parse(line) as SpoolRecord);
      } catch {
        tornLines += 1;
      }
    }
    const info = this.segments.find((s) => s.name === segment.name);
    if (info) info.lines = records.length;
    return { records, tornLines };
  }

  /** Deletes a segment the server has stored completely. */
  remove(segment: Segment): void {
    removeFile(segment.path);
    const index = this.segments.findIndex((s) => s.name === segment.name);
    if (index >= 0) this.segments.splice(index, 1);
    if (this.inFlight === segment.name) this.inFlight = undefined;
  }

  stats(): { bytes: number; segments: number; droppedSamples: number } {
    return {
      bytes: this.segments.reduce((sum, s) => sum + s.bytes, 0),
      segments: this.segments.length,
      droppedSamples: this.droppedSamples,
    };
  }

  close(): void {
    if (this.active) this.seal();
    removeFile(join(this.dir, LOCK_FILE));
  }

  private activeSegment(): { info: SegmentInfo; fd: number } {
    if (this.active && this.now() - this.active.info.createdAt >= this.segmentMaxAgeMs) this.seal();
    if (this.active) return this.active;
    const name = `${String(this.nextSeq++).padStart(12, '0')}.ndjson`;
    const fd = openSync(join(this.dir, name), 'a', 0o600);
    fsyncDir(this.dir);
    const now = this.now();
    const info: SegmentInfo = { name, bytes: 0, lines: 0, createdAt: now, modifiedAt: now };
    this.segments.push(info);
    this.active = { info, fd };
    return this.active;
  }

  private seal(): void {
    if (!this.active) return;
    closeSync(this.active.fd);
    this.active = undefined;
  }

  /** Drops the oldest segments while the spool is over its size, and every segment past its age. */
  private enforceLimits(): void {
    const cutoff = this.now() - this.options.maxAgeMs;
    for (const info of [...this.segments]) {
      if (info === this.active?.info || info.name === this.inFlight) continue;
      if (info.modifiedAt < cutoff) this.drop(info, 'age');
    }
    for (const info of [...this.segments]) {
      if (this.stats().bytes <= this.options.maxBytes) break;
      if (info === this.active?.info || info.name === this.inFlight) continue;
      this.drop(info, 'size');
    }
  }

  private drop(info: SegmentInfo, reason: 'size' | 'age'): void {
    const path = join(this.dir, info.name);
    const samples = info.lines ?? countLines(path);
    removeFile(path);
    this.segments.splice(this.segments.indexOf(info), 1);
    this.droppedSamples += samples;
    this.writeState();
    this.options.onDrop?.({ segment: info.name, samples, reason });
  }

  private readState(): { droppedSamples: number } {
    try {
      const state = JSON.parse(readFileSync(join(this.dir, STATE_FILE), 'utf8')) as {
        droppedSamples?: unknown;
      };
      return { droppedSamples: typeof state.droppedSamples === 'number' ? state.droppedSamples : 0 };
    } catch {
      return { droppedSamples: 0 };
    }
  }

  // The drop counter survives restarts, so the metric built from it only ever grows.
  private writeState(): void {
    const tmp = join(this.dir, `${STATE_FILE}.tmp`);
    writeFileSync(tmp, JSON.stringify({ droppedSamples: this.droppedSamples }));
    renameSync(tmp, join(this.dir, STATE_FILE));
  }
}

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset);
}

function countLines(path: string): number {
  try {
    const data = readFileSync(path);
    let lines = 0;
    for (const byte of data) if (byte === 0x0a) lines += 1;
    return lines;
  } catch {
    return 0;
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

// A new segment must survive a crash as a directory entry, not only as data.
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function takeLock(path: string): void {
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number(readFileSync(path, 'utf8').trim());
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw new Error(`spool ${path} is locked by running process ${holder}`);
  }
  // Left behind by an agent that did not exit cleanly.
  writeFileSync(path, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
