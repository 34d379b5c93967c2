import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { api, ApiError } from './api.ts';
import { h, replaceChildren, status } from './dom.ts';
import { hostPage } from './pages/host.ts';
import { hostsPage } from './pages/hosts.ts';
import { incidentPage } from './pages/incident.ts';
import { incidentsPage } from './pages/incidents.ts';
import { signInPage } from './pages/sign-in.ts';
import { whatChangedPage } from './pages/what-changed.ts';
import { href, navigate, parseHash, type PageContext } from './router.ts';

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
let current: AbortController | undefined;
let first = true;

function renderNav(section: string | undefined) {
  const link = (label: string, to: string, active: boolean) =>
    h('a', { href: to, 'aria-current': active ? 'page' : undefined }, label);
  if (section === 'sign-in') {
    replaceChildren(nav);
    return;
  }
  replaceChildren(
    nav,
    link('What changed?', href([]), section === undefined),
    link('Hosts', href(['hosts']), section === 'hosts'),
    link('Incidents', href(['incidents']), section === 'incidents'),
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        onclick: async () => {
          await api('/api/v1/session', { method: 'DELETE' }).catch(() => undefined);
          navigate(['sign-in']);
        },
      },
      'Sign out',
    ),
  );
}

async function route() {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const r = parseHash(location.hash);
  const section = r.segments[0];
  renderNav(section);
  const ctx: PageContext = { main, route: r, signal: controller.signal };
  if (!first) main.focus({ preventScroll: true });
  first = false;
  try {
    if (section === 'sign-in') signInPage(ctx);
    else if (section === 'hosts' && r.segments[1] !== undefined) await hostPage(ctx, r.segments[1]);
    else if (section === 'hosts') await hostsPage(ctx);
    else if (section === 'incidents' && r.segments[1] !== undefined) await incidentPage(ctx, r.segments[1]);
    else if (section === 'incidents') await incidentsPage(ctx);
    else await whatChangedPage(ctx);
  } catch (err) {
    if (controller.signal.aborted) return;
    if (err instanceof ApiError && err.status === 401) {
      navigate(['sign-in'], { next: location.hash });
      return;
    }
    replaceChildren(main, status(err instanceof Error ? err.message : String(err), 'error'));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
