import { parseArgs } from 'node:util';
import { analysisBench } from './analysis.bench.ts';
import { changesBench } from './changes.bench.ts';
import { ingestBench } from './ingest.bench.ts';
import { storageBench } from './storage.bench.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    runs: { type: 'string', default: '5' },
    hosts: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '4' },
    // Reuse and keep the storage section's database: a long load resumes where it stopped.
    resume: { type: 'boolean', default: false },
    'analysis-hosts': { type: 'string', default: '1000,5000' },
    'changes-commits': { type: 'string', default: '20000' },
  },
});

const sections: Record<string, () => Promise<void>> = {
  ingest: () => ingestBench({ runs: Number(values.runs), rounds: Number(values.rounds) }),
  storage: () =>
    storageBench({ hosts: Number(values.hosts), runs: Number(values.runs), resume: values.resume === true }),
  analysis: () =>
    analysisBench({
      hosts: (values['analysis-hosts'] as string).split(',').map(Number),
      runs: Number(values.runs),
    }),
  changes: () =>
    changesBench({
      commits: Number(values['changes-commits']),
      hosts: Number(values.hosts),
      runs: Number(values.runs),
    }),
};

const chosen = values.only ?? Object.keys(sections);
process.stdout.write(`# onset benchmarks (${new Date().toISOString()}, node ${process.version})\n`);
for (const name of chosen) {
  const run = sections[name];
  if (!run) throw new Error(`unknown section '${name}'; one of ${Object.keys(sections).join(', ')}`);
  await run();
}
