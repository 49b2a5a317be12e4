import type { Server } from 'node:http';
import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { join } from 'node:path';
import { AppModule, Runtime } from './app.module';
import { buildOpenApi } from './api/openapi';
import { bodyParserProblems, ProblemFilter } from './api/problem.filter';
import { edgeSizeGuard, refuseTrace } from './common/protocol-size';
import { DEFAULT_LIMITS } from './legacy-migration/io/limits';
import { validationPipe } from './api/validation';
import { BkpaasModule } from './bkpaas/bkpaas.module';
import { AppConfig } from './config/config.schema';
import { KubernetesModule } from './kubernetes/kubernetes.module';
import { PgEnabledTargets } from './instances/pg-enabled-targets';
import { LegacyMigrationModule } from './legacy-migration/legacy-migration.module';
import { OsbModule } from './osb/osb.module';
import { QuietStartupLogger } from './startup-log';

/** The feature modules mounted beside the REST API: Kubernetes (Secrets, webhook), the platform protocols, legacy migration. */
export function featureModules(config: AppConfig): Array<Type<unknown> | DynamicModule> {
  return [
    KubernetesModule.forRoot({
      config: { useFactory: () => config.kubernetes },
      enabledTargets: { useFactory: (ds: DataSource) => new PgEnabledTargets(ds), inject: [DataSource] },
    }),
    BkpaasModule.forRoot(config.bkpaas.prefix),
    OsbModule,
    LegacyMigrationModule,
  ];
}

/** Builds the Nest application (used by main.ts, the e2e suites and the benches). */
export async function createApp(rt: Runtime, opts: { logger?: boolean } = {}): Promise<INestApplication> {
  const runtime = { ...rt, imports: rt.imports ?? featureModules(rt.config) };
  // Before every parser and route: a declared body larger than the edge accepts is 413 at once.
  const adapter = new ExpressAdapter();
  adapter
    .getInstance()
    .use(refuseTrace)
    .use(edgeSizeGuard({ bkpaasPrefix: rt.config.bkpaas.prefix, legacyPath: '/api/v1/legacy-migrations', legacyMaxBytes: DEFAULT_LIMITS.maxTreeBytes }));
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(runtime), adapter, {
    bufferLogs: true,
    bodyParser: false,
    logger: opts.logger === false ? false : undefined,
  });
  // JSON bodies (1 MB max); parse failures become problem+json (MalformedJson) instead of Nest's generic 400.
  app.use(json({ limit: '1mb', type: ['application/json', 'application/*+json'] }), bodyParserProblems);
  // Nest's module wiring and route mapping at debug: main.ts prints one summary line at info.
  app.useLogger(new QuietStartupLogger(app.get(Logger)));
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(validationPipe);
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  // Idle connections stay open longer than the clients in front keep theirs (ingress-nginx 60 s): with Node's 5 s, a
  // request sent on a connection as the server closed it failed with ECONNRESET.
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

/**
 * The encryption key for credentials at rest: SVC_SENTRY_ENCRYPTION_KEY, else one generated once
 * into the data directory (fine for `npm start`; set the variable in production).
 */
export function encryptionKeyFor(configured: string | undefined, dataDir: string, warn: (msg: string) => void): string {
  if (configured) return configured.toLowerCase();
  const file = join(dataDir, 'encryption-key');
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(key)) return key;
    throw new Error(`${file} does not hold 64 hex characters; fix or delete it, or set SVC_SENTRY_ENCRYPTION_KEY`);
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  warn(`SVC_SENTRY_ENCRYPTION_KEY is not set: generated one into ${file}. Set the variable in production and keep it safe.`);
  return key;
}
