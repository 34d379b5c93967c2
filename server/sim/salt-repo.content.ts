/**
 * The files of a simulated Salt repository: states per role, served config files, custom grains and
 * modules, pillar, docs and CI. Each file is a "unit" whose content is rendered from a revision number, so
 * an edit is a new revision; `reach` names the hosts an edit reaches, for planning decoys.
 */

export interface Unit {
  path: string;
  /** `all`, `none`, `role:<r>`, `dc:<d>`, `group:<nodegroup>`, or `target` (the change's hosts). */
  reach: string;
  /** Relative chance of being edited in the background history. */
  weight: number;
  subjects: readonly string[];
  render(rev: number): string;
}

interface RolePackage {
  state: string;
  pkg: string;
  service: string;
  config?: { dest: string; file: string; key: string; base: number; step: number };
}

/** The catalog's roles and the states that run their daemons. */
export const ROLE_STATES: Readonly<Record<string, readonly RolePackage[]>> = {
  web: [
    {
      state: 'nginx',
      pkg: 'nginx',
      service: 'nginx',
      config: {
        dest: '/etc/nginx/nginx.conf',
        file: 'nginx.conf',
        key: 'worker_connections',
        base: 1024,
        step: 128,
      },
    },
    {
      state: 'php/fpm',
      pkg: 'php7.0-fpm',
      service: 'php7.0-fpm',
      config: {
        dest: '/etc/php/7.0/fpm/pool.d/www.conf',
        file: 'www.conf',
        key: 'pm.max_children',
        base: 24,
        step: 4,
      },
    },
  ],
  app: [
    {
      state: 'java',
      pkg: 'openjdk-8-jre-headless',
      service: 'app',
      config: { dest: '/etc/app/jvm.options', file: 'jvm.options', key: '-Xmx', base: 4096, step: 256 },
    },
  ],
  db: [
    {
      state: 'postgres',
      pkg: 'postgresql-9.6',
      service: 'postgresql',
      config: {
        dest: '/etc/postgresql/9.6/main/postgresql.conf',
        file: 'postgresql.conf',
        key: 'work_mem',
        base: 4,
        step: 2,
      },
    },
    { state: 'pgbouncer', pkg: 'pgbouncer', service: 'pgbouncer' },
  ],
  cache: [
    {
      state: 'memcached',
      pkg: 'memcached',
      service: 'memcached',
      config: { dest: '/etc/memcached.conf', file: 'memcached.conf', key: '-c', base: 1024, step: 256 },
    },
  ],
  mail: [
    {
      state: 'postfix',
      pkg: 'postfix',
      service: 'postfix',
      config: {
        dest: '/etc/postfix/main.cf',
        file: 'main.cf',
        key: 'default_process_limit =',
        base: 100,
        step: 10,
      },
    },
    { state: 'dovecot', pkg: 'dovecot-imapd', service: 'dovecot' },
    { state: 'amavisd', pkg: 'amavisd-new', service: 'amavis' },
  ],
  ops: [
    {
      state: 'prometheus',
      pkg: 'prometheus',
      service: 'prometheus',
      config: {
        dest: '/etc/prometheus/prometheus.yml',
        file: 'prometheus.yml',
        key: 'scrape_interval:',
        base: 15,
        step: 5,
      },
    },
    { state: 'grafana', pkg: 'grafana', service: 'grafana-server' },
  ],
  lb: [
    {
      state: 'haproxy',
      pkg: 'haproxy',
      service: 'haproxy',
      config: {
        dest: '/etc/haproxy/haproxy.cfg',
        file: 'haproxy.cfg',
        key: 'maxconn',
        base: 4000,
        step: 500,
      },
    },
  ],
  worker: [
    {
      state: 'celery',
      pkg: 'python-celery',
      service: 'celery',
      config: {
        dest: '/etc/default/celeryd',
        file: 'celeryd',
        key: 'CELERYD_CONCURRENCY=',
        base: 8,
        step: 2,
      },
    },
  ],
};

/** How the top file targets each role: grain, compound, glob and nodegroup matches side by side. */
export function roleTarget(role: string): { target: string; match?: string } {
  switch (role) {
    case 'web':
      return { target: 'G@role:web' };
    case 'app':
      return { target: 'role:app', match: 'grain' };
    case 'db':
      return { target: 'G@role:db and not G@dc:none' };
    case 'cache':
      return { target: 'cache-*' };
    case 'mail':
      return { target: 'mailhosts', match: 'nodegroup' };
    case 'ops':
      return { target: 'ops-*' };
    case 'lb':
      return { target: 'lb-*' };
    default:
      return { target: `G@role:${role}` };
  }
}

const pkgVersions = ['1.10.3', '1.12.1', '1.12.2', '2.0.1', '2.1.0', '3.4.2'];

function roleState(p: RolePackage, rev: number): string {
  const lines = [
    `${p.pkg}:`,
    '  pkg.installed:',
    `    - version: ${pkgVersions[rev % pkgVersions.length] ?? '1.0'}-${1 + (rev % 4)}`,
    '',
    `${p.service}-service:`,
    '  service.running:',
    `    - name: ${p.service}`,
    '    - enable: True',
    '    - require:',
    `      - pkg: ${p.pkg}`,
  ];
  if (p.config) {
    lines.push(
      '    - watch:',
      `      - file: ${p.config.dest}`,
      '',
      `${p.config.dest}:`,
      '  file.managed:',
      `    - source: salt://${p.state}/files/${p.config.file}`,
      '    - user: root',
      `    - mode: '0644'`,
    );
  }
  if (rev % 3 === 2) lines.push('', `/var/log/${p.service}:`, '  file.directory:', `    - mode: '0750'`);
  return lines.join('\n') + '\n';
}

function configFile(p: RolePackage, rev: number): string {
  const c = p.config;
  if (!c) return '';
  const sep = /[=:]$/.test(c.key) ? '' : ' ';
  return [
    '# Managed by Salt: local edits are overwritten.',
    `# ${p.state} tuning, revision ${rev}`,
    `${c.key}${sep}${c.base + c.step * (rev % 12)}`,
    rev % 2 === 0 ? '# keepalive defaults' : '# keepalive raised for the batch jobs',
    '',
  ].join('\n');
}

function pillarFor(name: string, rev: number): string {
  return [
    `${name}:`,
    `  revision: ${rev}`,
    `  tuning:`,
    `    threads: ${4 + (rev % 5) * 2}`,
    `    log_level: ${rev % 4 === 0 ? 'debug' : 'info'}`,
    '',
  ].join('\n');
}

/** The fleet_api grain of the story: the culprit moves it to https. */
export function fleetApiGrain(https: boolean, rev: number): string {
  const scheme = https ? 'https' : 'http';
  return `# -*- coding: utf-8 -*-
"""Grains from the fleet inventory API: rack, owner team and service tier."""
import json
import logging

import salt.utils.http

log = logging.getLogger(__name__)

INVENTORY_URL = '${scheme}://inventory.example.net/api/v2/hosts/'
TIMEOUT = ${5 + (rev % 4)}


def fleet_api():
    url = INVENTORY_URL + __opts__['id']
    result = salt.utils.http.query(url, decode=True, decode_type='json', timeout=TIMEOUT${https ? ", verify_ssl=True, ca_bundle='/etc/ssl/certs/ca-certificates.crt'" : ''})
    if 'dict' not in result:
        log.warning('fleet_api: no answer from %s', url)
        return {}
    return {'fleet': result['dict']}
`;
}

function pythonModule(name: string, rev: number): string {
  return `# -*- coding: utf-8 -*-
"""${name}: helpers the states call."""


def version():
    return '${1 + (rev % 3)}.${rev % 10}'


def ping():
    return True
`;
}

function doc(title: string, rev: number): string {
  return `# ${title}\n\nRevision ${rev}.\n\n- Run \`salt '*' state.apply test=True\` before merging.\n- Ask in #ops before touching the top file.\n${rev % 2 === 0 ? '\nSee docs/runbook.md for the on-call steps.\n' : ''}`;
}

/** Every unit of the repository for a fleet with these roles and data centres. */
export function repositoryUnits(roles: readonly string[], dcs: readonly string[]): Unit[] {
  const units: Unit[] = [];
  for (const role of roles) {
    for (const p of ROLE_STATES[role] ?? []) {
      const sls = p.state.includes('/') ? `salt/${p.state}.sls` : `salt/${p.state}/init.sls`;
      units.push({
        path: sls,
        reach: `role:${role}`,
        weight: 3,
        subjects: [
          `${p.state}: pin ${p.pkg}`,
          `${p.state}: restart on config change`,
          `${p.state}: log directory`,
        ],
        render: (rev) => roleState(p, rev),
      });
      if (p.config) {
        const c = p.config;
        units.push({
          path: `salt/${p.state}/files/${c.file}`,
          reach: `role:${role}`,
          weight: 3,
          subjects: [`${p.state}: raise ${c.key.replace(/[=:]$/, '').trim()}`, `${p.state}: tune ${c.file}`],
          render: (rev) => configFile(p, rev),
        });
      }
    }
    units.push({
      path: `pillar/roles/${role}.sls`,
      reach: `role:${role}`,
      weight: 1.5,
      subjects: [`pillar: ${role} tuning`, `pillar: ${role} log level`],
      render: (rev) => pillarFor(role, rev),
    });
  }
  for (const dc of dcs) {
    units.push({
      path: `salt/dc/${dc}.sls`,
      reach: `dc:${dc}`,
      weight: 1,
      subjects: [`${dc}: resolvers`, `${dc}: ntp servers`],
      render: (rev) =>
        `/etc/resolv.conf:\n  file.managed:\n    - contents: |\n        search ${dc}.example.net\n        nameserver 10.${rev % 200}.0.53\n`,
    });
  }
  const common: [string, string, (rev: number) => string][] = [
    [
      'salt/common/users.sls',
      'users: add and remove accounts',
      (rev) => `ops${rev % 7}:\n  user.present:\n    - groups: [sudo]\n`,
    ],
    [
      'salt/common/motd.sls',
      'motd: wording',
      (rev) => `/etc/motd:\n  file.managed:\n    - contents: 'Managed by Salt (rev ${rev})'\n`,
    ],
    [
      'salt/common/ntp.sls',
      'ntp: server pool',
      (rev) => `ntp:\n  pkg.installed: []\n  service.running:\n    - enable: True\n# pool ${rev % 4}\n`,
    ],
    [
      'salt/common/packages.sls',
      'common: base packages',
      (rev) =>
        `base-packages:\n  pkg.installed:\n    - pkgs: [curl, htop, iotop, tmux${rev % 2 ? ', jq' : ''}]\n`,
    ],
    [
      'salt/common/sshd.sls',
      'sshd: hardening',
      (rev) =>
        `sshd_config:\n  file.managed:\n    - name: /etc/ssh/sshd_config\n    - source: salt://common/files/sshd_config\n# rev ${rev}\n`,
    ],
    [
      'salt/common/files/sshd_config',
      'sshd: ciphers',
      (rev) => `PermitRootLogin no\nPasswordAuthentication no\nMaxSessions ${10 + (rev % 5)}\n`,
    ],
    [
      'salt/node_exporter/init.sls',
      'node_exporter: collectors',
      (rev) =>
        `node_exporter:\n  pkg.installed:\n    - version: 0.1${4 + (rev % 3)}.0\n  service.running:\n    - enable: True\n`,
    ],
    ['salt/_modules/inventory.py', 'inventory module: helpers', (rev) => pythonModule('inventory', rev)],
    ['pillar/common.sls', 'pillar: common settings', (rev) => pillarFor('common', rev)],
  ];
  for (const [path, subject, render] of common) {
    units.push({ path, reach: 'all', weight: 0.6, subjects: [subject], render });
  }
  const none: [string, string, (rev: number) => string][] = [
    ['README.md', 'README: how to test states', (rev) => doc('Salt states', rev)],
    ['docs/runbook.md', 'runbook: on-call steps', (rev) => doc('Runbook', rev)],
    ['docs/onboarding.md', 'docs: onboarding', (rev) => doc('Onboarding', rev)],
    ['docs/top-file.md', 'docs: how targeting works', (rev) => doc('Targeting', rev)],
    [
      '.gitlab-ci.yml',
      'ci: lint and render states',
      (rev) =>
        `stages: [lint, test]\nlint:\n  stage: lint\n  script: salt-lint salt/**/*.sls\ntest:\n  stage: test\n  script: pytest tests -q\n  retry: ${rev % 3}\n`,
    ],
    [
      'tests/test_top.py',
      'tests: top file renders',
      (rev) => `def test_top_renders():\n    assert ${rev} >= 0\n`,
    ],
    ['.salt-lint', 'lint: rules', (rev) => `skip_list:\n  - '20${rev % 10}'\n`],
    ['salt/_runners/report.py', 'runner: fleet report', (rev) => pythonModule('report', rev)],
  ];
  for (const [path, subject, render] of none) {
    units.push({ path, reach: 'none', weight: 1.2, subjects: [subject], render });
  }
  return units;
}

export function topFile(roles: readonly string[], dcs: readonly string[], extra: readonly string[]): string {
  const lines = ['base:', "  '*':", '    - common', '    - salt_minion', '    - node_exporter'];
  for (const role of roles) {
    const t = roleTarget(role);
    lines.push(`  '${t.target}':`);
    if (t.match) lines.push(`    - match: ${t.match}`);
    for (const p of ROLE_STATES[role] ?? []) lines.push(`    - ${p.state.replace('/', '.')}`);
  }
  for (const dc of dcs) lines.push(`  'G@dc:${dc}':`, `    - dc.${dc}`);
  lines.push(...extra);
  return lines.join('\n') + '\n';
}

export function pillarTop(
  roles: readonly string[],
  everyHost: readonly string[],
  extra: readonly string[],
): string {
  const lines = ['base:', "  '*':", '    - common', '    - pki', ...everyHost.map((name) => `    - ${name}`)];
  for (const role of roles) lines.push(`  'G@role:${role}':`, '    - match: compound', `    - roles.${role}`);
  lines.push(...extra);
  return lines.join('\n') + '\n';
}

export const FIXED_FILES: Readonly<Record<string, string>> = {
  'salt/common/init.sls': 'include:\n  - .packages\n  - .users\n  - .ntp\n  - .motd\n  - .sshd\n  - .pki\n',
  'salt/common/pki.sls':
    'ca-certificates:\n  pkg.installed: []\n\n/usr/local/share/ca-certificates/example-root.crt:\n  file.managed:\n    - contents_pillar: pki:root\n',
  'salt/salt_minion/init.sls':
    'salt-minion:\n  service.running:\n    - enable: True\n\n/etc/salt/minion.d/schedule.conf:\n  file.managed:\n    - source: salt://salt_minion/files/schedule.conf\n',
  'salt/salt_minion/files/schedule.conf':
    'schedule:\n  highstate:\n    function: state.highstate\n    minutes: 60\n    splay: 600\n',
  'salt/_grains/hw.py': '"""Hardware grains: DIMM count and NUMA nodes."""\n\n\ndef hw():\n    return {}\n',
  'pillar/pki.sls': 'pki:\n  root: |\n    -----BEGIN CERTIFICATE-----\n    MIIB...\n',
};
