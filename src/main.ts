import 'reflect-metadata';
import pino from 'pino';
import { join } from 'node:path';
import { createApp, encryptionKeyFor } from './bootstrap';
import { ConfigError, loadConfig } from './config/load-config';
import { runMigrations } from './database/database';
import { EmbeddedPostgresHandle, startEmbeddedPostgres } from './database/embedded-postgres';

/**
 * svc-sentry: roles `api` (HTTP only), `worker` (reconcile jobs + health) or `all` (default).
 * Without DATABASE_URL it runs a real PostgreSQL from embedded-postgres under the data directory.
 */
async function main(): Promise<void> {
  const log = pino({ name: 'svc-sentry' });
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  log.level = config.logLevel;
  let embedded: EmbeddedPostgresHandle | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: join(config.dataDir, 'postgres'), log: (l) => log.debug({ postgres: l }) });
    databaseUrl = embedded.url;
    log.warn(`DATABASE_URL is not set: running an embedded PostgreSQL with its data in ${embedded.dataDir}`);
  }
  const encryptionKey = encryptionKeyFor(config.encryptionKey, config.dataDir, (m) => log.warn(m));
  for (const m of await runMigrations(databaseUrl)) log.info(`schema: ${m}`);
  if (!config.upstreams.length)
    log.warn('no upstream configured: set SVC_SENTRY_UPSTREAM_URL, SVC_SENTRY_UPSTREAM_TOKEN and SVC_SENTRY_UPSTREAM_ORG; toggles will fail until then');
  if (!config.apiTokens.length) log.warn('SVC_SENTRY_API_TOKENS is not set: the REST API rejects every request');

  const app = await createApp({ config, databaseUrl, encryptionKey });
  if (embedded) {
    const stop = embedded.stop.bind(embedded);
    app
      .getHttpAdapter()
      .getHttpServer()
      .on('close', () => void stop());
  }
  await app.listen(config.port, config.host);
  log.info(
    `svc-sentry (${config.role}) listening on http://${config.host}:${config.port} — REST API /api/v1, docs /docs, health /healthz /readyz, metrics /metrics`,
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
