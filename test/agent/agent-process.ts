import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** `onset agent` as a user runs it, in its own process; its JSON log lines are collected. */
export class AgentProcess {
  readonly logs: Record<string, unknown>[] = [];
  stderr = '';
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> | undefined;

  constructor(
    private readonly args: string[],
    private readonly env: Record<string, string> = {},
  ) {}

  start(): void {
    const child = spawn(process.execPath, ['bin/onset.js', 'agent', ...this.args], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.child = child;
  }

  /** Timestamps (epoch ms) of the samples this agent took, from its debug log. */
  sampleTimes(): number[] {
    return this.logs.filter((l) => l.msg === 'sample spooled').map((l) => Date.parse(String(l.ts)));
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child?.kill(signal);
    return (await this.exited) ?? null;
  }
}
