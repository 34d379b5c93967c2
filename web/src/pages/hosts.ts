import { api, type HostsResponse } from '../api.ts';
import { h, replaceChildren, status } from '../dom.ts';
import { formatTime } from '../format.ts';
import { hostFilter } from '../host-filter.ts';
import { labelChips } from '../labels.ts';
import { href, type PageContext } from '../router.ts';
import { virtualList } from '../virtual-list.ts';

export async function hostsPage({ main, route, signal }: PageContext): Promise<void> {
  replaceChildren(main, h('h1', null, 'Hosts'), status('Loading hosts…'));
  const { hosts } = await api<HostsResponse>('/api/v1/hosts', { signal });
  if (signal.aborted) return;
  const initial = route.params.get('q') ?? '';
  const input = h('input', {
    id: 'host-filter',
    type: 'search',
    value: initial,
    placeholder: 'role=web dc=ams1 web-0',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const count = h('p', { class: 'muted', role: 'status' });
  const list = virtualList({
    items: hosts,
    rowHeight: 36,
    label: 'Hosts',
    renderRow: (host) =>
      h(
        'div',
        { class: 'host-row' },
        h('a', { href: href(['hosts', host.name]), class: 'host-name' }, host.name),
        labelChips(host.labels),
        h('span', { class: 'muted last-seen' }, `last ${formatTime(Date.parse(host.last_sample))}`),
      ),
  });
  const apply = () => {
    const matching = hosts.filter(hostFilter(input.value));
    list.setItems(matching);
    count.textContent = `${matching.length} of ${hosts.length} hosts`;
    // Keep the filter in the address so it can be shared, without adding a history entry per keystroke.
    const q = input.value.trim();
    history.replaceState(null, '', q ? href(['hosts'], { q }) : href(['hosts']));
  };
  input.addEventListener('input', apply);
  replaceChildren(
    main,
    h('h1', null, 'Hosts'),
    h('div', { class: 'filter' }, h('label', { for: 'host-filter' }, 'Filter by labels or name'), input),
    count,
    list.element,
  );
  apply();
}
