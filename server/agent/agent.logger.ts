import { pino, type Logger } from 'pino';

/** JSON lines on stderr. The token never reaches a log line, even through an error's request options. */
export function createAgentLogger(level: string): Logger {
  return pino(
    {
      name: 'onset-agent',
      level,
      redact: {
        paths: ['token', 'authorization', '*.token', '*.authorization', '*.headers.authorization'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}
