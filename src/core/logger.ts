import type { FastifyServerOptions } from 'fastify';
import { build as prettyStream } from 'pino-pretty';

export type LogFormat = 'auto' | 'json' | 'pretty';

/** Fields whose value is censored wherever a log call puts them: at the top, or one object down. */
const SECRET_FIELDS = ['password', 'password_hash', 'access_token', 'refresh_token', 'token'];

/**
 * Pino options: secrets never reach a log line, whatever logs them (`secretHeaders`: the
 * request headers areas declare secret). `pretty` writes
 * human-readable lines (synchronously, so nothing is lost at exit); `auto` chooses it only
 * when stdout is a terminal, and JSON otherwise, for log collectors.
 */
export function loggerOptions(level: string, format: LogFormat, secretHeaders: Iterable<string>): FastifyServerOptions['logger'] {
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY);
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        ...[...secretHeaders].map((header) => `req.headers["${header.toLowerCase()}"]`),
        // Pino's `*` stands for exactly one level: a secret logged as a field of its own
        // (`log.info({ token })`) needs its own path beside the one for an object's field.
        ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
      ],
      censor: '[redacted]',
    },
    ...(pretty ? { stream: prettyStream({ sync: true, colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }) } : {}),
  };
}
