import type { AnalysisService } from '../analysis/analysis.service.ts';
import { revertedSha, type ChangesService } from '../changes/changes.service.ts';
import type { IncidentsService } from '../incidents/incidents.service.ts';
import { renderReport, type ReportCommit } from './report.markdown.ts';

export interface ReportService {
  /** The incident's postmortem as Markdown with inline SVG charts. */
  markdown(incidentId: number): Promise<string>;
}

const HOUR = 3_600_000;
const commitLimit = 1_000;

export function createReportService(deps: {
  incidents: IncidentsService;
  analysis: AnalysisService;
  changes: Pick<ChangesService, 'list'>;
  now?: () => number;
}): ReportService {
  const now = deps.now ?? Date.now;
  return {
    async markdown(incidentId) {
      const incident = await deps.incidents.get(incidentId);
      const onset = incident.analysis.onset;
      const onsetAt = onset === null ? incident.from : Date.parse(onset.ts);
      const landed = incident.analysis.suspects.map((s) => Date.parse(s.landed_at));
      // From the earliest suspect (or a few hours before the onset) to a day after it: reverts land late.
      const window = {
        from: Math.min(onsetAt - 6 * HOUR, ...landed),
        to: Math.max(incident.to, onsetAt + 24 * HOUR),
        limit: commitLimit,
      };
      const [fleet, list] = await Promise.all([
        deps.analysis.fleet({ from: incident.from, to: incident.to }),
        deps.changes.list(window),
      ]);
      const commits: ReportCommit[] = list.commits.map((c) => ({
        sha: c.sha,
        subject: c.subject,
        author: c.author,
        landedAt: c.landedAt,
        revertOf: revertedSha(c.body),
      }));
      return renderReport({ incident, fleet, commits, generatedAt: now() });
    },
  };
}
