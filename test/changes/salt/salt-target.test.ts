import { describe, expect, it } from 'vitest';
import {
  globMatch,
  listMatch,
  matchCompound,
  matchTarget,
  minionFromLabels,
  parseTargetWord,
  pcreMatch,
  subdictMatch,
  type Minion,
} from '../../../server/changes/salt/salt-target.ts';
import { expandNodegroup, parseNodegroups } from '../../../server/changes/salt/nodegroups.ts';

const web1: Minion = {
  id: 'web-01.ams1.example.com',
  grains: {
    id: 'web-01.ams1.example.com',
    os: 'Debian',
    role: 'web',
    roles: ['web', 'cache'],
    dc: 'ams1',
    ec2: { tags: { team: 'edge' } },
    ipv4: ['127.0.0.1', '10.1.2.3'],
    kernelrelease: '4.9.0-3-amd64',
  },
};
const db1: Minion = {
  id: 'db-01.fra1.example.com',
  grains: { id: 'db-01.fra1.example.com', os: 'CentOS', role: 'db', dc: 'fra1' },
  pillar: { postgres: { version: '9.6' }, tier: 'gold' },
};

describe('glob (salt/matchers/glob_match.py: fnmatch.fnmatch on the minion id)', () => {
  it.each([
    ['web*', 'web-01', true],
    ['web*', 'xweb-01', false],
    ['web-0?', 'web-01', true],
    ['web-0?', 'web-010', false],
    ['web-[0-9]*', 'web-01', true],
    ['web-[!0-9]*', 'web-01', false],
    ['web-[!0-9]*', 'web-a1', true],
    ['*', 'anything.example.com', true],
    // fnmatch is case-sensitive on POSIX (normcase is the identity).
    ['WEB*', 'web-01', false],
    // `*` crosses dots and slashes: fnmatch has no path semantics.
    ['web*com', 'web-01.ams1.example.com', true],
    // An unclosed `[` is a literal.
    ['web[1', 'web[1', true],
    ['web[1', 'web1', false],
    // `[]]` is a set holding `]`; `[!]]` its complement.
    ['a[]]', 'a]', true],
    ['a[!]]', 'a]', false],
    // Regex metacharacters are literal.
    ['web.01', 'webx01', false],
    ['web+01', 'web+01', true],
    // A reversed range matches nothing.
    ['a[z-a]', 'ab', false],
  ])('%s against %s → %s', (pattern, id, expected) => {
    expect(globMatch(pattern, id)).toBe(expected);
  });
});

describe('pcre (salt/matchers/pcre_match.py: re.match anchors at the start only)', () => {
  it.each([
    ['web', 'web-01.example.com', true],
    ['eb', 'web-01.example.com', false],
    ['web-\\d+$', 'web-01', true],
    ['web-\\d+$', 'web-01.example.com', false],
    ['(?P<kind>web|db)-(?P=kind)?\\d+', 'db-01', true],
    ['(?i)WEB', 'web-01', true],
    ['.*\\.ams1\\.', 'web-01.ams1.example.com', true],
    ['web\\Z', 'web', true],
    ['web\\Z', 'web-01', false],
  ])('%s against %s → %s', (pattern, id, expected) => {
    expect(pcreMatch(pattern, id)).toBe(expected);
  });

  it('is undecided for a pattern JavaScript cannot carry', () => {
    expect(pcreMatch('(?x) web  # verbose', 'web')).toBe('maybe');
    expect(pcreMatch('web(', 'web')).toBe('maybe');
  });
});

describe('list (salt/matchers/list_match.py)', () => {
  it('matches whole comma-separated ids only, without trimming', () => {
    expect(listMatch('a,web-01,b', 'web-01')).toBe(true);
    expect(listMatch('web-01', 'web-01')).toBe(true);
    expect(listMatch('web-0,web-011', 'web-01')).toBe(false);
    expect(listMatch('a, web-01', 'web-01')).toBe(false);
    expect(listMatch('web*', 'web-01')).toBe(false);
  });
});

describe('grain (salt/utils/data.py subdict_match)', () => {
  it('globs the value, ignoring case on both sides', () => {
    expect(subdictMatch(web1.grains, 'os:Debian')).toBe(true);
    expect(subdictMatch(web1.grains, 'os:debian')).toBe(true);
    expect(subdictMatch(web1.grains, 'os:Deb*')).toBe(true);
    expect(subdictMatch(web1.grains, 'os:Ubuntu')).toBe(false);
    expect(subdictMatch(web1.grains, 'missing:x')).toBe(false);
  });

  it('needs a delimiter', () => {
    expect(subdictMatch(web1.grains, 'os')).toBe(false);
    expect(matchTarget('os', 'grain', web1)).toBe(false);
  });

  it('matches a list-valued grain when any item matches', () => {
    expect(subdictMatch(web1.grains, 'roles:cache')).toBe(true);
    expect(subdictMatch(web1.grains, 'roles:ca*')).toBe(true);
    expect(subdictMatch(web1.grains, 'roles:db')).toBe(false);
  });

  it('walks nested keys and lets the value hold the delimiter', () => {
    expect(subdictMatch(web1.grains, 'ec2:tags:team:edge')).toBe(true);
    expect(subdictMatch(web1.grains, 'ec2:tags:team:core')).toBe(false);
    // A dict matches when the pattern names one of its keys.
    expect(subdictMatch(web1.grains, 'ec2:tags')).toBe(true);
    expect(subdictMatch(web1.grains, 'ec2:*')).toBe(true);
    // Deepest key first, then a value holding ':'.
    expect(subdictMatch({ time: '12:30' }, 'time:12:30')).toBe(true);
  });

  it('honours an alternate delimiter in G|@ form', () => {
    expect(parseTargetWord('G|@ec2|tags|team|edge')).toEqual({
      engine: 'G',
      delimiter: '|',
      pattern: 'ec2|tags|team|edge',
    });
    expect(matchCompound('G|@ec2|tags|team|edge', web1)).toBe(true);
  });

  it('grain_pcre uses re.match on the lower-cased value', () => {
    expect(matchTarget('os:(RedHat|Debian)', 'grain_pcre', web1)).toBe(true);
    expect(matchTarget('os:ebian', 'grain_pcre', web1)).toBe(false);
    expect(matchTarget('kernelrelease:4\\.9', 'grain_pcre', web1)).toBe(true);
  });
});

describe('host labels as grains (CONTRACT: comma-separated values match each item)', () => {
  const host = minionFromLabels('web-07', { role: 'web', roles: 'web, cache', dc: 'ams1' });

  it('splits comma-separated label values into list grains and adds the id grain', () => {
    expect(host.grains).toEqual({ id: 'web-07', role: 'web', roles: ['web', 'cache'], dc: 'ams1' });
    expect(matchTarget('G@roles:cache', 'compound', host)).toBe(true);
    expect(matchTarget('G@roles:web', 'compound', host)).toBe(true);
    expect(matchTarget('G@roles:db', 'compound', host)).toBe(false);
    expect(matchTarget('G@id:web-07', 'compound', host)).toBe(true);
  });
});

describe('pillar, subnet and range', () => {
  it('matches pillar when it is known and is undecided otherwise', () => {
    expect(matchCompound('I@postgres:version:9.*', db1)).toBe(true);
    expect(matchCompound('J@tier:^(gold|silver)$', db1)).toBe(true);
    expect(matchCompound('I@tier:bronze', db1)).toBe(false);
    expect(matchCompound('I@tier:gold', web1)).toBe('maybe');
    expect(matchTarget('tier:gold', 'pillar', web1)).toBe('maybe');
  });

  it('matches S@ against the ipv4 grain, else is undecided', () => {
    expect(matchCompound('S@10.1.0.0/16', web1)).toBe(true);
    expect(matchCompound('S@10.2.0.0/16', web1)).toBe(false);
    expect(matchCompound('S@10.1.2.3', web1)).toBe(true);
    expect(matchCompound('S@10.1.0.0/16', db1)).toBe('maybe');
  });

  it('leaves R@ undecided', () => {
    expect(matchCompound('R@%cluster', web1)).toBe('maybe');
    expect(matchTarget('%cluster', 'range', web1)).toBe('maybe');
  });
});

describe('compound (salt/matchers/compound_match.py: a Python expression of the words)', () => {
  it('reads bare words as globs and prefixed words by engine', () => {
    expect(matchCompound('web*', web1)).toBe(true);
    expect(matchCompound('E@web-\\d+\\.ams1', web1)).toBe(true);
    expect(matchCompound('L@db-01.fra1.example.com,web-01.ams1.example.com', web1)).toBe(true);
    expect(matchCompound('P@os:(RedHat|CentOS)', db1)).toBe(true);
    // An unknown engine letter is no engine: the word is a glob on the id.
    expect(matchCompound('X@web*', web1)).toBe(false);
  });

  it('binds and tighter than or (docs: webserv* and G@os:Debian or E@web-dc1-srv.*)', () => {
    // false and false or true: Python reads (false and false) or true.
    expect(matchCompound('db* and G@os:Debian or G@dc:ams1', web1)).toBe(true);
    // true or true and false: true or (true and false) → true; left to right would give false.
    expect(matchCompound('web* or G@os:Debian and G@dc:fra1', web1)).toBe(true);
    expect(matchCompound('( web* or G@os:Debian ) and G@dc:fra1', web1)).toBe(false);
  });

  it('binds not tighter than and', () => {
    expect(matchCompound('not db* and web*', web1)).toBe(true);
    expect(matchCompound('not web* and web*', web1)).toBe(false);
    expect(matchCompound('not ( web* and G@dc:fra1 )', web1)).toBe(true);
    // Salt puts `and` before a `not` that follows anything but and/or/(, so `not not x` fails.
    expect(matchCompound('not not web*', web1)).toBe(false);
    expect(matchCompound('not ( not web* )', web1)).toBe(true);
  });

  it('allows a leading not (2015.8+) and reads "x not y" as "x and not y"', () => {
    expect(matchCompound('not G@os:Debian', web1)).toBe(false);
    expect(matchCompound('not G@os:Debian', db1)).toBe(true);
    expect(matchCompound('* not db*', web1)).toBe(true);
    expect(matchCompound('* not web*', web1)).toBe(false);
  });

  it('fails the whole match on what Python would not parse', () => {
    expect(matchCompound('and web*', web1)).toBe(false);
    expect(matchCompound('or web*', web1)).toBe(false);
    expect(matchCompound('( and web* )', web1)).toBe(false);
    expect(matchCompound('web* G@os:Debian', web1)).toBe(false);
    expect(matchCompound('( web*', web1)).toBe(false);
    expect(matchCompound('web* )', web1)).toBe(false);
    expect(matchCompound('web* and', web1)).toBe(false);
    expect(matchCompound('', web1)).toBe(false);
    // Parentheses must stand apart: `(web*` is a glob that no id matches.
    expect(matchCompound('(web* or db*)', web1)).toBe(false);
  });

  it('uses three-valued logic for undecided words', () => {
    expect(matchCompound('I@tier:gold and web*', web1)).toBe('maybe');
    expect(matchCompound('I@tier:gold and db*', web1)).toBe(false);
    expect(matchCompound('I@tier:gold or web*', web1)).toBe(true);
    expect(matchCompound('not I@tier:gold', web1)).toBe('maybe');
  });

  it('defaults to compound in top files, so a bare glob still works', () => {
    expect(matchTarget('web*', 'compound', web1)).toBe(true);
    expect(matchTarget('G@role:web and not G@dc:fra1', 'compound', web1)).toBe(true);
  });
});

describe('nodegroups (docs: "Node groups"; salt/utils/minions.py nodegroup_comp)', () => {
  const groups = parseNodegroups(`
nodegroups:
  group1: 'L@web-01.ams1.example.com,bar.domain.com or bl*.domain.com'
  group2: 'G@os:Debian and web*'
  group3: 'G@os:Debian and N@group1'
  group4:
    - 'G@role:db'
    - 'or'
    - 'G@role:cache'
  either: 'G@dc:fra1 or G@dc:ams1'
  ids:
    - db-01.fra1.example.com
    - web-09
  regexes:
    - 'web-\\d+\\.ams1'
  loop_a: 'N@loop_b'
  loop_b: 'N@loop_a'
`);

  it('parses the mapping and the dashed form', () => {
    expect(groups['group4']).toEqual(['G@role:db', 'or', 'G@role:cache']);
    expect(parseNodegroups("nodegroups:\n  - g1: 'web*'\n  - g2: 'db*'\n")).toEqual({
      g1: 'web*',
      g2: 'db*',
    });
    expect(parseNodegroups('')).toEqual({});
    expect(() => parseNodegroups('nodegroups: [1, 2]')).toThrow();
  });

  it('matches N@ in a compound and via match: nodegroup', () => {
    expect(matchCompound('N@group2', web1, { nodegroups: groups })).toBe(true);
    expect(matchTarget('group2', 'nodegroup', web1, { nodegroups: groups })).toBe(true);
    expect(matchTarget('group2', 'nodegroup', db1, { nodegroups: groups })).toBe(false);
    expect(matchTarget('group4', 'nodegroup', db1, { nodegroups: groups })).toBe(true);
  });

  it('expands nested N@ inside a nodegroup', () => {
    expect(matchTarget('group3', 'nodegroup', web1, { nodegroups: groups })).toBe(true);
    expect(expandNodegroup('group3', groups)).toEqual([
      '(',
      'G@os:Debian',
      'and',
      '(',
      'L@web-01.ams1.example.com,bar.domain.com',
      'or',
      'bl*.domain.com',
      ')',
      ')',
    ]);
  });

  it('keeps a nodegroup one unit inside a larger expression', () => {
    // `either and G@os:CentOS` must read (fra1 or ams1) and CentOS: web1 is in ams1 but runs Debian.
    expect(matchCompound('N@either and G@os:CentOS', web1, { nodegroups: groups })).toBe(false);
    expect(matchCompound('N@either and G@os:CentOS', db1, { nodegroups: groups })).toBe(true);
  });

  it('reads a list without operators as L@ ids, or E@ when it holds regex characters', () => {
    expect(expandNodegroup('ids', groups)).toEqual(['L@db-01.fra1.example.com,web-09']);
    expect(matchTarget('ids', 'nodegroup', db1, { nodegroups: groups })).toBe(true);
    expect(expandNodegroup('regexes', groups)).toEqual(['E@web-\\d+\\.ams1']);
    expect(matchTarget('regexes', 'nodegroup', web1, { nodegroups: groups })).toBe(true);
  });

  it('fails unknown and circular groups, and is undecided without the mapping', () => {
    expect(matchTarget('nope', 'nodegroup', web1, { nodegroups: groups })).toBe(false);
    expect(matchCompound('N@nope or web*', web1, { nodegroups: groups })).toBe(false);
    expect(matchTarget('loop_a', 'nodegroup', web1, { nodegroups: groups })).toBe(false);
    expect(matchTarget('group2', 'nodegroup', web1)).toBe('maybe');
    expect(matchCompound('N@group2 and web*', web1)).toBe('maybe');
    expect(matchCompound('N@group2 and db*', web1)).toBe(false);
  });
});
