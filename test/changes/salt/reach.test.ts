import { describe, expect, it } from 'vitest';
import { parseNodegroups } from '../../../server/changes/salt/nodegroups.ts';
import {
  createSaltReach,
  createSaltReachCache,
  detectSaltRoots,
  reachOfChange,
  type RepoSnapshot,
  type SaltHost,
} from '../../../server/changes/salt/reach.ts';

function snapshot(files: Record<string, string>): RepoSnapshot {
  return {
    listFiles: () => Object.keys(files).sort(),
    readFile: (path) => files[path],
  };
}

const TOP = `base:
  '*':
    - common
  'G@role:web':
    - nginx
  'G@role:db':
    - postgres
  webservers:
    - match: nodegroup
    - nginx.canary
`;

const REPO: Record<string, string> = {
  'salt/top.sls': TOP,
  'salt/common/init.sls': 'include:\n  - .motd\n  - users\n',
  'salt/common/motd.sls': '/etc/motd:\n  file.managed:\n    - contents: hello\n',
  'salt/users.sls': 'alice:\n  user.present: []\n',
  'salt/nginx/init.sls': `{% from "nginx/map.jinja" import nginx with context %}
include:
  - .tuning
nginx:
  pkg.installed: []
/etc/nginx/nginx.conf:
  file.managed:
    - source: salt://nginx/files/nginx.conf
    - template: jinja
`,
  'salt/nginx/map.jinja': "{% set nginx = {'workers': 4} %}\n",
  'salt/nginx/tuning.sls': 'net.core.somaxconn:\n  sysctl.present:\n    - value: 4096\n',
  'salt/nginx/canary.sls': 'nginx-canary:\n  test.nop: []\n',
  'salt/nginx/files/nginx.conf': 'worker_processes {{ nginx.workers }};\n',
  'salt/nginx/files/unused.conf': '# nothing\n',
  'salt/postgres/init.sls': 'postgresql:\n  pkg.installed: []\n',
  'salt/orphan.sls': 'x:\n  test.nop: []\n',
  'salt/_grains/fleet_api.py': 'def fleet_api():\n    return {}\n',
  'salt/_runners/report.py': 'def run():\n    pass\n',
  'pillar/top.sls': "base:\n  '*':\n    - common\n  'G@role:db':\n    - postgres\n",
  'pillar/common.sls': 'ntp: pool.ntp.org\n',
  'pillar/postgres/init.sls': 'include:\n  - .users\n',
  'pillar/postgres/users.sls': 'postgres:\n  users: [app]\n',
  'README.md': '# states\n',
  'docs/runbook.md': 'steps\n',
  '.gitlab-ci.yml': 'test: {}\n',
  'tests/test_top.py': 'def test(): pass\n',
  'scripts/deploy.sh': 'salt "*" state.apply\n',
};

const HOSTS: SaltHost[] = [
  { id: 'web-01', labels: { role: 'web', dc: 'ams1' } },
  { id: 'web-02', labels: { role: 'web', dc: 'fra1' } },
  { id: 'edge-01', labels: { role: 'cache,web', dc: 'ams1' } },
  { id: 'db-01', labels: { role: 'db', dc: 'ams1' } },
  { id: 'db-02', labels: { role: 'db', dc: 'fra1' } },
  { id: 'cache-01', labels: { role: 'cache', dc: 'ams1' } },
];
const ALL = HOSTS.map((h) => h.id).sort();
const WEB = ['edge-01', 'web-01', 'web-02'];
const DB = ['db-01', 'db-02'];
const nodegroups = parseNodegroups("nodegroups:\n  webservers: 'G@role:web and G@dc:ams1'\n");

function reachOf(path: string, files: Record<string, string> = REPO, extra: object = {}) {
  const reach = createSaltReach({
    snapshot: snapshot(files),
    hosts: HOSTS,
    nodegroups,
    ...extra,
  }).reachOfPath(path);
  return {
    hosts: [...reach.hosts].sort(),
    approximate: reach.approximate,
    reason: reach.reasons.join(' | '),
  };
}

describe('detectSaltRoots', () => {
  it('finds states under salt/ and pillar under pillar/', () => {
    expect(detectSaltRoots(Object.keys(REPO))).toEqual({ stateRoot: 'salt', pillarRoot: 'pillar' });
  });

  it('finds states at the repository root', () => {
    expect(detectSaltRoots(['top.sls', 'nginx/init.sls', 'pillar/top.sls'])).toEqual({
      stateRoot: '',
      pillarRoot: 'pillar',
    });
    expect(detectSaltRoots(['top.sls', 'nginx/init.sls'])).toEqual({ stateRoot: '', pillarRoot: undefined });
  });
});

describe('reach of state files', () => {
  it('reaches the hosts of the top entry that applies the state', () => {
    const reach = reachOf('salt/nginx/init.sls');
    expect(reach.hosts).toEqual(['edge-01', 'web-01', 'web-02']);
    expect(reach.approximate).toBe(false);
    expect(reach.reason).toBe("salt/nginx/init.sls is applied by salt/top.sls base 'G@role:web' to 3 hosts");
  });

  it('follows includes, relative ones too', () => {
    const tuning = reachOf('salt/nginx/tuning.sls');
    expect(tuning.hosts).toEqual(WEB);
    expect(tuning.reason).toContain('is included by nginx (salt/nginx/init.sls)');
    expect(reachOf('salt/common/motd.sls').hosts).toEqual(ALL);
    expect(reachOf('salt/users.sls').hosts).toEqual(ALL);
  });

  it('targets through nodegroups, and widens them when they are not known', () => {
    expect(reachOf('salt/nginx/canary.sls').hosts).toEqual(['edge-01', 'web-01']);
    const unknown = reachOf('salt/nginx/canary.sls', REPO, { nodegroups: undefined });
    expect(unknown.hosts).toEqual(ALL);
    expect(unknown.approximate).toBe(true);
  });

  it('reaches no host with a state no top entry applies', () => {
    const orphan = reachOf('salt/orphan.sls');
    expect(orphan.hosts).toEqual([]);
    expect(orphan.reason).toContain('not applied by any salt/top.sls entry');
  });
});

describe('reach of other files', () => {
  it('reaches every minion with a custom module', () => {
    const grain = reachOf('salt/_grains/fleet_api.py');
    expect(grain.hosts).toEqual(ALL);
    expect(grain.approximate).toBe(false);
    expect(grain.reason).toBe(
      'salt/_grains/fleet_api.py is a custom grain module: synced to every minion (6 hosts)',
    );
    expect(reachOf('salt/_runners/report.py').hosts).toEqual([]);
  });

  it('reaches the hosts of the states that serve or import a file', () => {
    const conf = reachOf('salt/nginx/files/nginx.conf');
    expect(conf.hosts).toEqual(WEB);
    expect(conf.approximate).toBe(false);
    expect(conf.reason).toContain('is referenced by salt/nginx/init.sls');
    expect(reachOf('salt/nginx/map.jinja').hosts).toEqual(WEB);
  });

  it('widens a file no SLS names to the states of its folder', () => {
    const unused = reachOf('salt/nginx/files/unused.conf');
    expect(unused.hosts).toEqual(['edge-01', 'web-01', 'web-02']);
    expect(unused.approximate).toBe(true);
  });

  it('reaches hosts through the pillar top file', () => {
    expect(reachOf('pillar/postgres/users.sls').hosts).toEqual(DB);
    expect(reachOf('pillar/common.sls').hosts).toEqual(ALL);
    expect(reachOf('pillar/postgres/users.sls').reason).toContain('assigned by pillar/top.sls');
  });

  it.each(['README.md', 'docs/runbook.md', '.gitlab-ci.yml', 'tests/test_top.py', 'scripts/deploy.sh'])(
    'reaches no host with %s',
    (path) => {
      const reach = reachOf(path);
      expect(reach.hosts).toEqual([]);
      expect(reach.reason).toMatch(/no minion reads it/);
    },
  );
});

describe('reach of top files', () => {
  const newTop = TOP.replace('    - postgres\n', '    - postgres\n    - users\n');
  const changed = { ...REPO, 'salt/top.sls': newTop };

  it('reaches the hosts whose states changed', () => {
    const reach = reachOf('salt/top.sls', changed, { previous: snapshot(REPO) });
    expect(reach.hosts).toEqual(DB);
    expect(reach.approximate).toBe(false);
    expect(reach.reason).toBe("salt/top.sls changes the states of 2 hosts (base 'G@role:db' adds users)");
  });

  it('reaches every host when the previous top file is not known', () => {
    const reach = reachOf('salt/top.sls', changed);
    expect(reach.hosts).toEqual(ALL);
    expect(reach.approximate).toBe(true);
  });

  it('compares the pillar top file too', () => {
    const pillarChanged = {
      ...REPO,
      'pillar/top.sls':
        "base:\n  '*':\n    - common\n  'G@role:db':\n    - postgres\n  'web-01':\n    - common\n",
    };
    expect(reachOf('pillar/top.sls', pillarChanged, { previous: snapshot(REPO) }).hosts).toEqual([]);
    const moved = {
      ...REPO,
      'pillar/top.sls': "base:\n  '*':\n    - common\n  'G@role:web':\n    - postgres\n",
    };
    expect(reachOf('pillar/top.sls', moved, { previous: snapshot(REPO) }).hosts).toEqual(
      [...DB, ...WEB].sort(),
    );
  });
});

describe('Jinja fallback', () => {
  const jinjaTop = `base:
  '*':
    - common
{% for role in ['web', 'db'] %}
  'G@role:{{ role }}':
    - roles.{{ role }}
{% endfor %}
`;
  const files = {
    'top.sls': jinjaTop,
    'common.sls': '',
    'roles/web.sls': 'include:\n  - nginx\n',
    'roles/db.sls': '',
    'nginx/init.sls': '',
  };

  it('widens targets and state names and says so', () => {
    const reach = reachOf('nginx/init.sls', files);
    // `G@role:{{ role }}` reads as `G@role:*`: every host with a role grain may match.
    expect(reach.hosts).toEqual(ALL);
    expect(reach.approximate).toBe(true);
    expect(reach.reason).toContain('approximate');
    expect(reach.reason).toContain("base 'G@role:{{…}}'");
  });

  it('reaches every host when a template the top file imports changes', () => {
    const importing = {
      ...files,
      'top.sls': "{% from 'roles.jinja' import roles %}\nbase:\n  'db*':\n    - nginx\n",
      'roles.jinja': "{% set roles = ['db'] %}\n",
    };
    const reach = reachOf('roles.jinja', importing);
    expect(reach.hosts).toEqual(ALL);
    expect(reach.approximate).toBe(true);
    expect(reachOf('nginx/init.sls', importing).hosts).toEqual(DB);
  });

  it('reaches every host when the top file cannot be read', () => {
    const tooBig = snapshot(files);
    const reach = createSaltReach({
      snapshot: {
        listFiles: tooBig.listFiles,
        readFile: (path) => (path === 'top.sls' ? undefined : files[path as keyof typeof files]),
      },
      hosts: HOSTS,
    }).reachOfPath('nginx/init.sls');
    expect(reach.hosts.size).toBe(HOSTS.length);
    expect(reach.approximate).toBe(true);
  });

  it('reaches every host when the top file includes other templates', () => {
    const opaque = { ...files, 'top.sls': "{% include 'roles.jinja' %}\nbase:\n  'db*':\n    - nginx\n" };
    const reach = reachOf('nginx/init.sls', opaque);
    expect(reach.hosts).toEqual(ALL);
    expect(reach.approximate).toBe(true);
    expect(reach.reason).toContain('cannot be read without rendering it');
  });

  it('stays exact where a widened target still excludes the host', () => {
    const narrow = { ...files, 'top.sls': "base:\n  'db-{{ n }}':\n    - nginx\n" };
    const reach = reachOf('nginx/init.sls', narrow);
    expect(reach.hosts).toEqual(DB);
    expect(reach.approximate).toBe(true);
  });
});

describe('reachOfChange', () => {
  it('unions the paths of a change and keeps one reason per path', () => {
    const reach = reachOfChange({ snapshot: snapshot(REPO), hosts: HOSTS, nodegroups }, [
      'salt/postgres/init.sls',
      'salt/nginx/files/nginx.conf',
      'README.md',
    ]);
    expect([...reach.hosts].sort()).toEqual([...DB, ...WEB].sort());
    expect(reach.approximate).toBe(false);
    expect(reach.reasons).toHaveLength(3);
  });

  it('places a deleted file with the previous commit', () => {
    const { ['salt/postgres/init.sls']: _gone, ...after } = REPO;
    const reach = createSaltReach({
      snapshot: snapshot(after),
      previous: snapshot(REPO),
      hosts: HOSTS,
      nodegroups,
    }).reachOfPath('salt/postgres/init.sls');
    expect([...reach.hosts].sort()).toEqual(DB);
    expect(reach.reasons[0]).toMatch(/^\(removed\) salt\/postgres\/init.sls is applied/);
    const readOnly = { readFile: (path: string) => REPO[path] };
    const withoutList = createSaltReach({
      snapshot: snapshot(after),
      previous: readOnly,
      hosts: HOSTS,
      nodegroups,
    });
    expect([...withoutList.reachOfPath('salt/postgres/init.sls').hosts].sort()).toEqual(DB);
  });
});

describe('SaltReachCache', () => {
  it('gives the same answers across commits and starts afresh for another host list', () => {
    const cache = createSaltReachCache();
    const first = createSaltReach({ snapshot: snapshot(REPO), hosts: HOSTS, nodegroups, cache });
    expect([...first.reachOfPath('salt/nginx/tuning.sls').hosts].sort()).toEqual(WEB);
    const moved = { ...REPO, 'salt/nginx/init.sls': 'nginx:\n  pkg.installed: []\n' };
    const second = createSaltReach({ snapshot: snapshot(moved), hosts: HOSTS, nodegroups, cache });
    expect([...second.reachOfPath('salt/nginx/tuning.sls').hosts]).toEqual([]);
    const fewer = HOSTS.filter((host) => host.id !== 'web-02');
    const third = createSaltReach({ snapshot: snapshot(REPO), hosts: fewer, nodegroups, cache });
    expect([...third.reachOfPath('salt/nginx/tuning.sls').hosts].sort()).toEqual(['edge-01', 'web-01']);
  });
});
