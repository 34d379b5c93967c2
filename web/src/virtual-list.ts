import { h } from './dom.ts';

/**
 * A scrolling list that keeps only the rows in view (plus a few) in the DOM, so ten thousand hosts
 * scroll like ten. Rows have one fixed height.
 */
export function virtualList<T>(opts: {
  items: T[];
  rowHeight: number;
  label: string;
  renderRow(item: T, index: number): HTMLElement;
}): { element: HTMLElement; setItems(items: T[]): void } {
  let items = opts.items;
  const spacer = h('div', { class: 'vlist-spacer', role: 'list', 'aria-label': opts.label });
  const element = h('div', { class: 'vlist', tabindex: 0 }, spacer);
  const overscan = 8;
  let frame = 0;

  function render() {
    frame = 0;
    const height = element.clientHeight || 600;
    const first = Math.max(0, Math.floor(element.scrollTop / opts.rowHeight) - overscan);
    const last = Math.min(items.length, Math.ceil((element.scrollTop + height) / opts.rowHeight) + overscan);
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = opts.renderRow(items[i] as T, i);
      row.setAttribute('role', 'listitem');
      row.setAttribute('aria-setsize', String(items.length));
      row.setAttribute('aria-posinset', String(i + 1));
      row.classList.add('vlist-row');
      row.style.transform = `translateY(${i * opts.rowHeight}px)`;
      row.style.height = `${opts.rowHeight}px`;
      rows.push(row);
    }
    spacer.style.height = `${items.length * opts.rowHeight}px`;
    spacer.replaceChildren(...rows);
  }

  element.addEventListener('scroll', () => {
    if (!frame) frame = requestAnimationFrame(render);
  });
  new ResizeObserver(() => render()).observe(element);
  render();
  return {
    element,
    setItems(next) {
      items = next;
      element.scrollTop = 0;
      render();
    },
  };
}
