import { endianness } from 'node:os';
import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { meanSlotSeconds } from './storage.repository.ts';

export const slotMs = meanSlotSeconds * 1000;
const slotsPerHour = 3600 / meanSlotSeconds;
const hourMs = 3_600_000;
const littleEndian = endianness() === 'LE';

/**
 * A series' 5-minute slot means over a window: `cells[i]` is the mean of the slot starting at
 * `first + i · slotMs`, NaN where the slot holds no sample. `first` is the window's start rounded down
 * to the hour, so the cells line up with the hourly chunks. The chunks' means are float4, so a series
 * read from chunks alone keeps them as such (4 bytes a slot); one with recent rows needs float8.
 */
export interface SlotGrid {
  first: number;
  slotMs: number;
  cells: Float32Array | Float64Array;
}

interface StoredMeans {
  /** Per chunk: its hour since the epoch (int4), then its slot means (float4), all big-endian. */
  means: Uint8Array | null;
  recent_slots: number[] | null;
  recent_vals: number[] | null;
}

/**
 * Slot means of the series `selection` picks (a `SELECT` whose first column is the series `id`; its
 * other columns come back with each row). Compacted hours come from the means each chunk keeps
 * (big-endian float4, 48 bytes an hour); recent rows are averaged per slot here. A slot in both (a late
 * sample for a compacted hour) keeps the chunk's mean: it holds most samples. Series with no sample in
 * the window come back (with an all-NaN grid) only when `keepEmpty` is set; `orderBy` sorts the rows
 * (columns of the selection as `sel.…`).
 */
export async function readSlotMeans<Columns extends object>(
  db: Db,
  selection: RawBuilder<unknown>,
  window: { from: number; to: number },
  options: { keepEmpty?: boolean; orderBy?: RawBuilder<unknown> } = {},
): Promise<(Columns & { grid: SlotGrid })[]> {
  const first = Math.floor(window.from / hourMs) * hourMs;
  const from = new Date(first);
  const to = new Date(window.to);
  const rows = await sql<Columns & StoredMeans & { id: number }>`
    WITH sel AS (${selection}),
    recent AS (
      SELECT series_id, array_agg(slot ORDER BY slot) AS slots, array_agg(v ORDER BY slot) AS vals
      FROM (
        SELECT r.series_id, floor(date_part('epoch', r.ts) / ${meanSlotSeconds}) AS slot, avg(r.value) AS v
        FROM samples r JOIN sel ON sel.id = r.series_id
        WHERE r.ts >= ${from} AND r.ts < ${to}
        GROUP BY 1, 2
      ) m
      GROUP BY series_id
    )
    SELECT sel.*, chunks.means, recent.slots AS recent_slots, recent.vals AS recent_vals
    FROM sel
    -- Per series along the primary key: chunks arrive in order, and no sort of the whole read is needed.
    CROSS JOIN LATERAL (
      SELECT string_agg(int4send((date_part('epoch', c.start) / 3600)::int4) || c.means, ''::bytea ORDER BY c.start) AS means
      FROM sample_chunks c
      WHERE c.series_id = sel.id AND c.start >= ${from} AND c.start < ${to}
    ) chunks
    LEFT JOIN recent ON recent.series_id = sel.id
    ${options.keepEmpty ? sql`` : sql`WHERE chunks.means IS NOT NULL OR recent.series_id IS NOT NULL`}
    ${options.orderBy ? sql`ORDER BY ${options.orderBy}` : sql``}`.execute(db);
  const cellCount = Math.max(0, Math.ceil((window.to - first) / slotMs));
  return rows.rows.map((row) => {
    const { means, recent_slots, recent_vals, ...columns } = row;
    const grid = decodeSlotMeans({ means, recent_slots, recent_vals }, first, cellCount);
    return { ...(columns as unknown as Columns), grid };
  });
}

function decodeSlotMeans(stored: StoredMeans, first: number, cellCount: number): SlotGrid {
  const recent = stored.recent_slots ?? [];
  const cells = (recent.length > 0 ? new Float64Array(cellCount) : new Float32Array(cellCount)).fill(NaN);
  const means = stored.means;
  if (means && means.byteLength > 0) {
    // Big-endian words to native order in a copy of our own, then read as typed arrays: several times
    // faster than a DataView, and the same for node-postgres's Buffer and the embedded database's Uint8Array.
    const copy = Buffer.alloc(means.byteLength);
    copy.set(means);
    if (littleEndian) copy.swap32();
    const words = new Float32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
    const hours = new Int32Array(copy.buffer, copy.byteOffset, copy.byteLength / 4);
    const record = 1 + slotsPerHour;
    for (let at = 0; at + record <= words.length; at += record) {
      const base = ((hours[at] as number) * hourMs - first) / slotMs;
      for (let s = 0; s < slotsPerHour; s++) {
        const i = base + s;
        if (i >= 0 && i < cellCount) cells[i] = words[at + 1 + s] as number;
      }
    }
  }
  for (let k = 0; k < recent.length; k++) {
    const i = ((recent[k] as number) * slotMs - first) / slotMs;
    if (i >= 0 && i < cellCount && Number.isNaN(cells[i])) cells[i] = stored.recent_vals?.[k] as number;
  }
  return { first, slotMs, cells };
}
