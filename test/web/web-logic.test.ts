import { describe, expect, it } from 'vitest';
import { hostFilter } from '../../web/src/host-filter.ts';
import { parseHash, href } from '../../web/src/router.ts';
import { windowFromParams, windowParams } from '../../web/src/time-window.ts';

const hosts = [
  { name: 'web-001.ams1.example.net', labels: { role: 'web', dc: 'ams1' } },
  { name: 'web-002.fra1.example.net', labels: { role: 'web,cache', dc: 'fra1' } },
  { name: 'db-001.ams1.example.net', labels: { role: 'db', dc: 'ams1' } },
];
const names = (text: string) => hosts.filter(hostFilter(text)).map((h) => h.name.slice(0, 6));

describe('host filter', () => {
  it('matches labels, items of comma-separated labels, Salt grain syntax and pieces of names', () => {
    expect(names('role=web')).toEqual(['web-00', 'web-00']);
    expect(names('role=cache')).toEqual(['web-00']);
    expect(names('G@role:db')).toEqual(['db-001']);
    expect(names('role=web dc=ams1')).toEqual(['web-00']);
    expect(names('DC=AMS1 db')).toEqual(['db-001']);
    expect(names('dc=')).toHaveLength(3);
    expect(names('rack=')).toEqual([]);
    expect(names('')).toHaveLength(3);
  });
});

describe('routes and windows', () => {
  it('round-trips host names that need escaping through the hash', () => {
    const link = href(['hosts', 'a/b c?d'], { range: '6h' });
    expect(parseHash(link)).toEqual({
      segments: ['hosts', 'a/b c?d'],
      params: new URLSearchParams('range=6h'),
    });
  });

  it('defaults to the last 24 hours, takes presets and explicit windows, and refuses a backwards one', () => {
    const now = Date.UTC(2017, 5, 26, 6, 50, 30);
    const day = windowFromParams(new URLSearchParams(), now);
    expect(day).toEqual({
      from: Date.UTC(2017, 5, 25, 6, 51),
      to: Date.UTC(2017, 5, 26, 6, 51),
      range: '24h',
    });
    expect(windowFromParams(new URLSearchParams('range=6h'), now).from).toBe(Date.UTC(2017, 5, 26, 0, 51));
    expect(windowFromParams(new URLSearchParams('range=1y'), now).range).toBe('24h');
    const custom = windowFromParams(
      new URLSearchParams('from=2017-06-25T16:00:00Z&to=2017-06-27T04:00:00Z'),
      now,
    );
    expect(custom).toEqual({
      from: Date.UTC(2017, 5, 25, 16),
      to: Date.UTC(2017, 5, 27, 4),
      range: undefined,
    });
    expect(windowParams(custom)).toEqual({
      from: '2017-06-25T16:00:00.000Z',
      to: '2017-06-27T04:00:00.000Z',
    });
    expect(
      windowFromParams(new URLSearchParams('from=2017-06-27T04:00:00Z&to=2017-06-25T16:00:00Z'), now).range,
    ).toBe('24h');
  });
});
