/**
 * pino JSON logs. Card tokens, member numbers and rotating tokens are personal data: they
 * are censored wherever they appear under these keys, at the top level or one level down
 * (DESIGN.md §9). Code should not log them at all; redaction is the safety net.
 */
import pino, { type Logger, type DestinationStream } from 'pino';

export const REDACTED_KEYS = ['token', 'cardToken', 'tokens', 'member', 'memberNumber', 'number', 'pan', 'track2', 'apdu', 'body', 'phoneCode'] as const;

const redactPaths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]);

export type { Logger };

export function createLogger(opts: { level: string; name?: string }, destination?: DestinationStream): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'trouw-gateway',
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
