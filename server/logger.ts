import { pino, type Logger } from 'pino';

export type { Logger };

/** The one root logger; modules take named children. Credentials never reach a log line. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'onset' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'headers.cookie',
          '*.token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
