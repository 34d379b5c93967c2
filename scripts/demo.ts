/**
 * `npm run demo`: fills the database (embedded, under ONSET_DATA_DIR, unless DATABASE_URL says otherwise)
 * with a simulated site-wide memory incident: a fleet whose hosts start leaking dentries after a Salt
 * commit, the Salt repository itself (written under the data directory), and a burst of "memory usage
 * above 80%" alerts that opens an incident. Samples arrive through `POST /api/v1/samples` (each host's first
 * hour and the last hour) and as the chunks compaction would have made (the hours between); the alerts
 * through `POST /api/v1/alertmanager`. Running it again stores nothing twice: the samples, the repository
 * and the alerts come out the same.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../server/config.ts';
import { demoScenario, memoryAlertPayload, simulateDemo } from '../server/demo/demo-incident.ts';
import { loadDemoFleet } from '../server/demo/demo-load.ts';
import { createLogger } from '../server/logger.ts';
import { buildOnset } from '../server/main.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The demo's times are kept between runs while its data is well inside the default retention. */
const reuseAnchorMs = 20 * DAY;

async function anchorTime(stateFile: string): Promise<number> {
  try {
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { anchor?: unknown };
    if (typeof saved.anchor === 'number' && Date.now() - saved.anchor < reuseAnchorMs) return saved.anchor;
  } catch {
    // No earlier run: start from now.
  }
  const anchor = Math.floor(Date.now() / HOUR) * HOUR;
  await writeFile(stateFile, `${JSON.stringify({ anchor })}\n`);
  return anchor;
}

async function main(): Promise<void> {
  const started = performance.now();
  const dataDir = path.resolve(process.env['ONSET_DATA_DIR'] ?? './data');
  const demoDir = path.join(dataDir, 'demo');
  await mkdir(demoDir, { recursive: true });
  const anchor = await anchorTime(path.join(demoDir, 'demo.json'));

  // 30 hours ending at the hour the demo first ran; the culprit goes live 14 hours in.
  const scenario = demoScenario({ from: anchor - 30 * HOUR, hours: 30, hosts: 40, changeAfterHours: 14 });
  const repoDir = path.join(demoDir, 'salt-repo');
  let phase = performance.now();
  /** Seconds since the last call: the demo says where its time goes. */
  const took = () => {
    const now = performance.now();
    const text = `${((now - phase) / 1000).toFixed(1)} s`;
    phase = now;
    return text;
  };
  const sim = await simulateDemo(repoDir, scenario);
  process.stdout.write(
    `simulated ${sim.fleet.hosts.length} hosts and a Salt repository of ${sim.repo.commits} commits (${took()})\n`,
  );

  const token = `demo-${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    ...process.env,
    ONSET_DATA_DIR: dataDir,
    ONSET_GIT_REPO: repoDir,
    ONSET_SALT_NODEGROUPS: sim.repo.nodegroupsPath,
    ONSET_INGEST_TOKENS: [process.env['ONSET_INGEST_TOKENS'], token].filter(Boolean).join(','),
    HOST: '127.0.0.1',
    PORT: '0',
    ONSET_LOG_LEVEL: process.env['ONSET_LOG_LEVEL'] ?? 'warn',
  });
  const onset = await buildOnset(config, { logger: createLogger(config.logLevel) });
  try {
    const { port } = await onset.start();
    process.stdout.write(`opened the database (${took()})\n`);
    const post = async (route: string, body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${route}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const loaded = await loadDemoFleet(onset, sim, post);
    process.stdout.write(
      `pushed ${loaded.pushed} samples through /api/v1/samples and wrote ${loaded.chunked} values as chunks (${took()})\n`,
    );
    await onset.changes.sync();
    process.stdout.write(`read the Salt repository (${took()})\n`);
    const alerts = memoryAlertPayload(sim, { hosts: 30 });
    const answer = await post('/api/v1/alertmanager', alerts);
    const incident = answer['incident'];
    process.stdout.write(
      `posted ${alerts.alerts.length} memory alerts to /api/v1/alertmanager: ${String(answer['status'])} (${took()})\n`,
    );

    const from = new Date(scenario.from).toISOString();
    const to = new Date(scenario.to).toISOString();
    const env = `ONSET_GIT_REPO=${repoDir} ONSET_SALT_NODEGROUPS=${sim.repo.nodegroupsPath}`;
    process.stdout.write(
      [
        '',
        `Done in ${((performance.now() - started) / 1000).toFixed(1)} s. Start the server with the demo's Salt repository:`,
        '',
        `  ${dataDir === path.resolve('./data') ? '' : `ONSET_DATA_DIR=${dataDir} `}${env} npm start`,
        '',
        `then open http://localhost:8080/ and look at ${from} to ${to} (the last 24 hours hold the onset for a day),`,
        `or incident ${String(incident)}: GET /api/v1/incidents/${String(incident)} and /api/v1/incidents/${String(incident)}/report.md`,
        `The culprit is ${sim.repo.culprit ?? 'none'}.`,
        '',
      ].join('\n'),
    );
  } finally {
    await onset.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
