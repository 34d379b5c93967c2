import { h } from './dom.ts';

export function labelChips(labels: Record<string, string>): HTMLElement {
  return h(
    'span',
    { class: 'labels' },
    Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => h('span', { class: 'label' }, `${k}=${v}`)),
  );
}
