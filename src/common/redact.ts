/** Keeps secrets out of logs: structured paths are censored by pino, strings are scrubbed here. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-sentry-auth"]',
  'res.headers["set-cookie"]',
  '*.token',
  '*.password',
  '*.secret',
  '*.dsn',
  '*.encryptionKey',
  '*.apiTokens',
];

const DSN_SECRET = /(\w+:\/\/[^:/@\s]+):[^@\s]+@/g;
const BEARER = /(Bearer\s+)[^\s"']+/gi;

export function scrub(text: string, secrets: string[] = []): string {
  let out = text.replace(DSN_SECRET, '$1:[REDACTED]@').replace(BEARER, '$1[REDACTED]');
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join('[REDACTED]');
  return out;
}
