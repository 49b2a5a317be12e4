import { runMigrations } from './database/database';

/** What the `migrate` role prints to; main.ts passes its pino logger. */
export interface MigrateLog {
  info(msg: string): void;
  error(msg: string): void;
}

/**
 * The `migrate` role (SVC_SENTRY_ROLE=migrate, e.g. the Helm chart's pre-install/pre-upgrade Job): applies pending
 * schema migrations under the migrations advisory lock (so it may run beside starting replicas), logs one line per
 * applied migration, and answers the process exit code: 0 done (also when nothing was pending), 2 no DATABASE_URL,
 * 1 the migrations failed. Never starts an embedded PostgreSQL: a migration Job without a database is a mistake.
 */
export async function migrateRole(databaseUrl: string | undefined, log: MigrateLog): Promise<number> {
  if (!databaseUrl) {
    log.error('role migrate needs DATABASE_URL (the PostgreSQL to migrate); it never starts an embedded PostgreSQL');
    return 2;
  }
  try {
    const applied = await runMigrations(databaseUrl, (line) => log.info(line));
    log.info(applied.length ? `migrations done: ${applied.length} applied` : 'migrations done: schema already up to date');
    return 0;
  } catch (e) {
    log.error(`migrations failed: ${describe(e)}`);
    return 1;
  }
}

/** One line, no stack: pg errors carry a code and message; connection errors a code and address, never the URL. */
function describe(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length) return describe(e.errors[0]);
  if (e instanceof Error) {
    const code = (e as { code?: string }).code;
    return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message || e.name;
  }
  return String(e);
}
