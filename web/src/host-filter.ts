export interface HostLike {
  name: string;
  labels: Record<string, string>;
}

/**
 * `role=web dc=ams1 web-0`: every term must hold. `key=value` (or Salt's `G@key:value`) matches a label,
 * or one item of a comma-separated label value; `key=` alone matches any host with that label; any other
 * term is a piece of the host name. Case-insensitive.
 */
export function hostFilter(text: string): (h: HostLike) => boolean {
  const terms = text.toLowerCase().split(/\s+/).filter(Boolean);
  const tests = terms.map((term) => {
    const m = /^(?:g@)?([^=:]+)[=:](.*)$/.exec(term);
    if (!m) return (h: HostLike) => h.name.toLowerCase().includes(term);
    const key = m[1] as string;
    const value = m[2] as string;
    return (h: HostLike) =>
      Object.entries(h.labels).some(
        ([k, v]) =>
          k.toLowerCase() === key &&
          (value === '' ||
            v.toLowerCase() === value ||
            v
              .toLowerCase()
              .split(',')
              .some((item) => item.trim() === value)),
      );
  });
  return (h) => tests.every((t) => t(h));
}
