import { h } from './dom.ts';

export interface TimeWindow {
  from: number;
  to: number;
  /** A preset such as `24h`, or undefined for a custom window. */
  range: string | undefined;
}

const hour = 3_600_000;
export const presets: Record<string, number> = {
  '6h': 6 * hour,
  '24h': 24 * hour,
  '2d': 48 * hour,
  '7d': 168 * hour,
};
export const defaultRange = '24h';

/** The window a route asks for: `?range=6h`, or `?from=…&to=…` (RFC 3339 or epoch ms). Default: the last 24 hours. */
export function windowFromParams(params: URLSearchParams, now = Date.now()): TimeWindow {
  const from = parseTime(params.get('from'));
  const to = parseTime(params.get('to'));
  if (from !== undefined && to !== undefined && from < to) return { from, to, range: undefined };
  const range = params.get('range') ?? defaultRange;
  const span = presets[range] ?? (presets[defaultRange] as number);
  // Whole minutes, so a reload within the minute asks the same question.
  const end = Math.ceil(now / 60_000) * 60_000;
  return { from: end - span, to: end, range: presets[range] ? range : defaultRange };
}

function parseTime(text: string | null): number | undefined {
  if (!text) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

export function windowParams(w: TimeWindow): Record<string, string> {
  return w.range
    ? { range: w.range }
    : { from: new Date(w.from).toISOString(), to: new Date(w.to).toISOString() };
}

/** The API's `from`/`to`. */
export const apiWindow = (w: TimeWindow) => ({
  from: new Date(w.from).toISOString(),
  to: new Date(w.to).toISOString(),
});

const toInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);
const fromInput = (value: string) => Date.parse(`${value}:00Z`);

/** Preset buttons and a custom from/to (in UTC, like every time the UI shows). */
export function windowPicker(current: TimeWindow, onChange: (w: TimeWindow) => void): HTMLElement {
  const fromInputEl = h('input', {
    type: 'datetime-local',
    id: 'window-from',
    value: toInput(current.from),
    required: true,
  });
  const toInputEl = h('input', {
    type: 'datetime-local',
    id: 'window-to',
    value: toInput(current.to),
    required: true,
  });
  const error = h('span', { class: 'error', role: 'alert' });
  return h(
    'div',
    { class: 'window-picker' },
    h(
      'div',
      { role: 'group', 'aria-label': 'Time window', class: 'presets' },
      Object.keys(presets).map((range) =>
        h(
          'button',
          {
            type: 'button',
            'aria-pressed': String(current.range === range),
            onclick: () => onChange({ ...windowFromParams(new URLSearchParams({ range })), range }),
          },
          `Last ${range}`,
        ),
      ),
    ),
    h(
      'form',
      {
        class: 'custom-window',
        onsubmit: (event: Event) => {
          event.preventDefault();
          const from = fromInput(fromInputEl.value);
          const to = fromInput(toInputEl.value);
          if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) {
            error.textContent = 'From must be before to.';
            return;
          }
          onChange({ from, to, range: undefined });
        },
      },
      h('label', { for: 'window-from' }, 'From'),
      fromInputEl,
      h('label', { for: 'window-to' }, 'to'),
      toInputEl,
      h('span', { class: 'muted' }, 'UTC'),
      h('button', { type: 'submit' }, 'Show'),
      error,
    ),
  );
}
