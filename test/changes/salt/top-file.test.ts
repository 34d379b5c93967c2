import { describe, expect, it } from 'vitest';
import { stripJinja } from '../../../server/changes/salt/jinja.ts';
import { JINJA_PLACEHOLDER } from '../../../server/changes/salt/salt-target.ts';
import {
  expandSlsPattern,
  indexSlsFiles,
  parseTopFile,
  readSlsFacts,
  resolveRelativeInclude,
  slsClosure,
  slsNameOfPath,
  type SlsFacts,
} from '../../../server/changes/salt/top-file.ts';

describe('parseTopFile (docs: "The Top File")', () => {
  it('reads environments, match types and state lists', () => {
    const top = parseTopFile(`
base:
  '*':
    - common
    - users.admins
  'G@role:web':
    - nginx
  'role:db':
    - match: grain
    - postgres
  'E@db-\\d+':
    - match: pcre
    - backup
  'web-01,web-02':
    - match: list
    - canary
  webservers:
    - match: nodegroup
    - nginx.tuning
  'I@tier:gold':
    - match: pillar
    - monitoring.extra
  single: motd
dev:
  'web*':
    - nginx
    - base: common.dev
`);
    expect(top.opaque).toBe(false);
    expect(
      top.entries.map((e) => [e.env, e.target, e.matchType, e.states.map((s) => `${s.env}:${s.name}`)]),
    ).toEqual([
      ['base', '*', 'compound', ['base:common', 'base:users.admins']],
      ['base', 'G@role:web', 'compound', ['base:nginx']],
      ['base', 'role:db', 'grain', ['base:postgres']],
      ['base', 'E@db-\\d+', 'pcre', ['base:backup']],
      ['base', 'web-01,web-02', 'list', ['base:canary']],
      ['base', 'webservers', 'nodegroup', ['base:nginx.tuning']],
      ['base', 'I@tier:gold', 'pillar', ['base:monitoring.extra']],
      ['base', 'single', 'compound', ['base:motd']],
      ['dev', 'web*', 'compound', ['dev:nginx', 'base:common.dev']],
    ]);
    expect(top.entries.every((e) => !e.approximate)).toBe(true);
  });

  it('keeps every Jinja branch and marks the entries that depend on it', () => {
    const top = parseTopFile(`
base:
  '*':
    - common
{% if salt['pillar.get']('nginx:enabled') %}
  'G@role:web':
    - nginx
{% else %}
  'G@role:web':
    - apache
{% endif %}
{% for role in ['api', 'worker'] %}
  'G@role:{{ role }}':
    - apps.{{ role }}
{% endfor %}
`);
    expect(top.hasJinja).toBe(true);
    expect(top.opaque).toBe(false);
    const summary = top.entries.map((e) => [e.target, e.states.map((s) => s.name), e.approximate]);
    expect(summary).toEqual([
      ['*', ['common'], false],
      ['G@role:web', ['nginx'], true],
      ['G@role:web', ['apache'], true],
      [`G@role:${JINJA_PLACEHOLDER}`, [`apps.${JINJA_PLACEHOLDER}`], true],
    ]);
  });

  it('is opaque when Jinja may emit entries or the YAML does not parse', () => {
    expect(parseTopFile("base:\n  '*':\n{% include 'more.sls' %}\n    - common\n").opaque).toBe(true);
    expect(parseTopFile("base:\n  '*':\n    {{ salt['pillar.get']('states') | yaml }}\n").opaque).toBe(true);
    expect(parseTopFile("base:\n  '*': [common\n").opaque).toBe(true);
    expect(parseTopFile('').entries).toEqual([]);
  });

  it('takes subfilter entries as approximate entries of their own', () => {
    const top = parseTopFile(`
base:
  'web*':
    - nginx
    - subfilter:
        'G@os:Debian':
          - nginx.debian
`);
    expect(top.entries.map((e) => [e.target, e.states.map((s) => s.name), e.approximate])).toEqual([
      ['G@os:Debian', ['nginx.debian'], true],
      ['web*', ['nginx'], false],
    ]);
  });
});

describe('SLS names and files (a.b → a/b.sls or a/b/init.sls)', () => {
  const files = [
    'salt/top.sls',
    'salt/nginx/init.sls',
    'salt/nginx/tuning.sls',
    'salt/nginx/files/nginx.conf',
    'salt/users.sls',
    'salt/users/init.sls',
    'salt/apps/api.sls',
    'salt/apps/worker.sls',
    'pillar/top.sls',
    'README.md',
  ];
  const index = indexSlsFiles(files, 'salt');

  it('maps paths to names, preferring a/b.sls over a/b/init.sls', () => {
    expect(slsNameOfPath('salt/nginx/init.sls', 'salt')).toBe('nginx');
    expect(slsNameOfPath('salt/nginx/tuning.sls', 'salt')).toBe('nginx.tuning');
    expect(slsNameOfPath('pillar/top.sls', 'salt')).toBeUndefined();
    expect(index.paths.get('users')).toBe('salt/users.sls');
    expect(index.paths.get('nginx')).toBe('salt/nginx/init.sls');
    expect(index.paths.has('top')).toBe(false);
  });

  it('globs SLS names as Salt does for top-file items and includes', () => {
    expect(expandSlsPattern('apps.*', index)).toEqual(['apps.api', 'apps.worker']);
    expect(expandSlsPattern(`apps.${JINJA_PLACEHOLDER}`, index)).toEqual(['apps.api', 'apps.worker']);
    expect(expandSlsPattern('nginx', index)).toEqual(['nginx']);
    expect(expandSlsPattern('missing', index)).toEqual([]);
  });
});

describe('includes (salt/state.py render_state)', () => {
  it('resolves relative includes, init.sls counting as a level', () => {
    expect(resolveRelativeInclude('.tuning', 'nginx', true)).toBe('nginx.tuning');
    expect(resolveRelativeInclude('.tuning', 'nginx.main', false)).toBe('nginx.tuning');
    expect(resolveRelativeInclude('..common', 'apps.api', false)).toBe('common');
    expect(resolveRelativeInclude('..common', 'apps.api', true)).toBe('apps.common');
    expect(resolveRelativeInclude('....far', 'apps.api', false)).toBeUndefined();
  });

  it('reads string, {env: sls} and {env: [sls]} forms, salt:// sources and Jinja imports', () => {
    const facts = readSlsFacts(
      `{% from "nginx/map.jinja" import nginx with context %}
{% import_yaml './defaults.yaml' as defaults %}
include:
  - .tuning
  - common
  - base: users
  - dev:
    - monitoring
    - logging

/etc/nginx/nginx.conf:
  file.managed:
    - source: salt://nginx/files/nginx.conf?saltenv=base
    - template: jinja
/etc/nginx/conf.d:
  file.recurse:
    - source: salt://nginx/conf.d/
`,
      'nginx',
      'salt/nginx/init.sls',
      'salt',
    );
    expect(facts.includes).toEqual(['nginx.tuning', 'common', 'users', 'monitoring', 'logging']);
    expect(facts.sourceRefs).toEqual(['nginx/files/nginx.conf', 'nginx/conf.d']);
    expect(facts.templateRefs).toEqual(['nginx/map.jinja', 'nginx/defaults.yaml']);
    expect(facts.approximate).toBe(false);
  });

  it('follows includes transitively and survives cycles', () => {
    const index = indexSlsFiles(['a/init.sls', 'a/b.sls', 'c.sls', 'd.sls'], '');
    const facts: Record<string, SlsFacts> = {
      a: sls(['a.b']),
      'a.b': sls(['c']),
      c: sls(['a']),
      d: sls([]),
    };
    const closure = slsClosure('a', index, (name) => facts[name]);
    expect([...closure.members.keys()].sort()).toEqual(['a', 'a.b', 'c']);
    expect(closure.members.get('c')).toBe('a.b');
    expect(closure.approximate).toBe(false);
  });

  it('widens a Jinja include to a glob and an opaque SLS to every SLS', () => {
    const facts = readSlsFacts(
      "include:\n{% for app in pillar['apps'] %}\n  - apps.{{ app }}\n{% endfor %}\n",
      'roles.app',
      'roles/app.sls',
      '',
    );
    expect(facts.includes).toEqual([`apps.${JINJA_PLACEHOLDER}`]);
    expect(facts.approximate).toBe(true);
    const index = indexSlsFiles(['roles/app.sls', 'apps/api.sls', 'apps/worker.sls', 'other.sls'], '');
    const closure = slsClosure('roles.app', index, (name) => (name === 'roles.app' ? facts : sls([])));
    expect([...closure.members.keys()].sort()).toEqual(['apps.api', 'apps.worker', 'roles.app']);
    expect(closure.approximate).toBe(true);
    const opaque = slsClosure('roles.app', index, (name) =>
      name === 'roles.app' ? { ...sls([]), opaque: true } : sls([]),
    );
    expect(opaque.members.size).toBe(4);
  });
});

describe('SLS that do not parse once Jinja is stripped', () => {
  it('still reads the include list, marked approximate', () => {
    const facts = readSlsFacts(
      'include:\n  - nginx\n  - base: users\n{% if x %}\nfoo: [\n{% endif %}\n',
      'web',
      'web.sls',
      '',
    );
    expect(facts.includes).toEqual(['nginx', 'users']);
    expect(facts.approximate).toBe(true);
    expect(facts.opaque).toBe(false);
  });
});

describe('stripJinja', () => {
  it('keeps line numbers, drops tags and hides macro bodies', () => {
    const text = 'a: 1\n{% macro m() %}\nhidden: 1\n{% endmacro %}\n{# note\nmore #}\nb: {{ x }}\n';
    const stripped = stripJinja(text);
    expect(stripped.text.split('\n')).toHaveLength(text.split('\n').length);
    expect(stripped.text).not.toContain('hidden');
    expect(stripped.text).toContain(`b: ${JINJA_PLACEHOLDER}`);
    expect(stripped.opaque).toBe(false);
  });

  it('flags an import named by an expression', () => {
    expect(stripJinja('{% from tpldir ~ "/map.jinja" import x %}').dynamicTemplateRef).toBe(true);
  });
});

function sls(includes: string[]): SlsFacts {
  return { includes, sourceRefs: [], templateRefs: [], approximate: false, opaque: false };
}
