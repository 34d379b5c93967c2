export interface Route {
  segments: string[];
  params: URLSearchParams;
}

/** Hash routes (`#/hosts/web-001?range=6h`): the server serves one static page and needs no fallback. */
export function parseHash(hash: string): Route {
  const [path = '', q = ''] = hash.replace(/^#/, '').split('?', 2);
  return {
    segments: path
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s)),
    params: new URLSearchParams(q),
  };
}

export function href(segments: string[], params: Record<string, string> = {}): string {
  const q = new URLSearchParams(params).toString();
  return `#/${segments.map(encodeURIComponent).join('/')}${q ? `?${q}` : ''}`;
}

export function navigate(segments: string[], params: Record<string, string> = {}): void {
  location.hash = href(segments, params);
}

export interface PageContext {
  main: HTMLElement;
  route: Route;
  signal: AbortSignal;
}
