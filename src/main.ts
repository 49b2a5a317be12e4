import 'reflect-metadata';
import pino from 'pino';
import { join } from 'node:path';
import { createApp, encryptionKeyFor } from './bootstrap';
import { resolvePlans } from './catalog/resolve-plans';
import { ConfigError, loadConfig } from './config/load-config';
import { runMigrations } from './database/database';
import { checkEncryptionKey, EncryptionKeyMismatch } from './database/encryption-canary';
import type { EmbeddedPostgresHandle } from './database/embedded-postgres';
import { migrateRole } from './migrate';
import { startupSummary } from './startup-log';

/**
 * svc-sentry: roles `api` (HTTP only), `worker` (reconcile jobs + health), `all` (default) or `migrate` (apply the migrations, exit).
 * Without DATABASE_URL it runs a real PostgreSQL from embedded-postgres under the data directory.
 */
async function main(): Promise<void> {
  const log = pino({ name: 'svc-sentry' });
  let config;
  try {
    config = loadConfig();
    // Plans asking for what their upstream cannot do are refused at start like any other bad value.
    const { problems } = resolvePlans(config);
    if (problems.length) throw new ConfigError(problems);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  log.level = config.logLevel;
  if (config.role === 'migrate') process.exit(await migrateRole(config.databaseUrl, log));
  let embedded: EmbeddedPostgresHandle | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await loadEmbeddedPostgres().startEmbeddedPostgres({ dataDir: join(config.dataDir, 'postgres'), log: (l) => log.debug({ postgres: l }) });
    databaseUrl = embedded.url;
    // Its port and how to connect are in the summary line after listen.
    log.debug(`DATABASE_URL is not set: running an embedded PostgreSQL with its data in ${embedded.dataDir}`);
  }
  const encryptionKey = encryptionKeyFor(config.encryptionKey, config.dataDir, (m) => log.warn(m));
  const migrations = await runMigrations(databaseUrl);
  for (const m of migrations) log.debug(`schema: ${m}`);
  try {
    await checkEncryptionKey(databaseUrl, encryptionKey);
  } catch (e) {
    if (!(e instanceof EncryptionKeyMismatch)) throw e;
    console.error(e.message);
    await embedded?.stop();
    process.exit(2);
  }

  const app = await createApp({ config, databaseUrl, encryptionKey });
  await app.listen(config.port, config.host);
  // One line says where it listens, which database, and what is not configured (with the settings to set).
  log.info(startupSummary({ config, embedded, databaseUrl: config.databaseUrl, migrations }));
  // Graceful stop, in order: the app (HTTP, then the worker: no new jobs, running passes finish, the
  // queue closes, then the pools), then the embedded PostgreSQL, then one line `stopped` and exit 0.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping`);
    (async () => {
      await app.close();
      await embedded?.stop();
    })().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (e) => {
        log.error(`stopping failed: ${(e as Error)?.message ?? e}`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // embedded-postgres registers async-exit-hook at load, which on a signal stops PostgreSQL at once and
    // exits 143, racing this ordered stop: this handler is the only one.
    process.removeAllListeners(signal);
    process.on(signal, stop);
  }
}

/** Loaded only without DATABASE_URL: the container image leaves the embedded-postgres packages out. */
function loadEmbeddedPostgres(): typeof import('./database/embedded-postgres') {
  try {
    require.resolve('embedded-postgres');
  } catch {
    console.error('DATABASE_URL is not set and the embedded PostgreSQL is not installed here (the container image leaves it out): set DATABASE_URL');
    process.exit(2);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily: only without DATABASE_URL, and absent from the image
  return require('./database/embedded-postgres') as typeof import('./database/embedded-postgres');
}

main().catch((e) => {
  // A setup problem (e.g. the data directory) is its message alone; anything else keeps its stack.
  console.error(e instanceof Error ? ((e as { userFacing?: boolean }).userFacing ? e.message : e.stack) : e);
  process.exit(1);
});
