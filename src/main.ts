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
import { AppConfig } from './config/config.schema';
import { serveParent, WORKER_OF_ENV, WorkerProcess } from './worker-process';

/**
 * svc-sentry: roles `api` (HTTP only), `worker` (reconcile jobs + health), `all` (default: HTTP here, the worker in a child
 * process) or `migrate` (apply the migrations, exit).
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
  if (process.env[WORKER_OF_ENV]) return workerOfParent(config, log);
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

  // Role all: this process serves HTTP (role api's part) and the reconcile worker runs in a child process of its own.
  const worker =
    config.role === 'all'
      ? new WorkerProcess({
          main: __filename,
          env: { SVC_SENTRY_ROLE: 'worker', DATABASE_URL: databaseUrl, SVC_SENTRY_ENCRYPTION_KEY: encryptionKey, SVC_SENTRY_WEBHOOK_ENABLED: 'false' },
          log,
        })
      : undefined;
  const app = await createApp({ config: worker ? { ...config, role: 'api' } : config, databaseUrl, encryptionKey, workerProcess: worker });
  await app.listen(config.port, config.host);
  worker?.start();
  // One line says where it listens, which database, and what is not configured (with the settings to set).
  log.info(startupSummary({ config, embedded, databaseUrl: config.databaseUrl, migrations }));
  // Graceful stop, in order: the app (HTTP, then the worker: no new jobs, running passes finish, the queue closes, then
  // the pools) and the worker process likewise, then the embedded PostgreSQL, then one line `stopped` and exit 0.
  onStopSignal(log, 'info', async () => {
    await Promise.all([app.close(), worker?.stop()]);
    await embedded?.stop();
  });
}

/**
 * The reconcile worker process of role `all`: role worker on the parent's database, without HTTP. The parent ran the
 * migrations and checked the key; it stops this process with SIGTERM, and this process stops when the parent is gone.
 */
async function workerOfParent(config: AppConfig, log: pino.Logger): Promise<void> {
  const app = await createApp({ config, databaseUrl: config.databaseUrl!, encryptionKey: config.encryptionKey! });
  await app.init();
  const stop = onStopSignal(log, 'debug', () => app.close());
  serveParent(() => stop('SIGTERM'));
}

/** Stops once on SIGTERM or SIGINT (or when the returned function is called): `stopped` and exit 0, or exit 1. */
function onStopSignal(log: pino.Logger, level: 'info' | 'debug', close: () => Promise<unknown>): (signal: NodeJS.Signals) => void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log[level](`${signal}: stopping`);
    close().then(
      () => {
        log[level]('stopped');
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
  return stop;
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
